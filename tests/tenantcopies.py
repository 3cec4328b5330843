"""The sample tenants under a prefix, and a census of what they hold in the lab cloud.

Several test files (and engineers) use the shared lab at once, and some apply and
destroy the sample tenants themselves. A test that copies ``tenants/`` with every
slug prefixed (``flt-health``, ``flt-secretariat/gov-docs`` ...) applies the same
requests, with the same shape, without touching anyone else's tenants.

``census`` counts, in the live cloud, every object of the prefixed tenants by its
natural key (a network by project and name, a grant by group, project and role ...);
``desired_census`` gives the same keys for what the requests ask for, from the plan
against a cloud without them. Equal censuses with no key seen twice mean: exactly the
desired set, no duplicates, nothing missing.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tenants"
INVENTORY = ROOT / "inventory"
EXTERNAL = "public"
KINDS = ("domain", "project", "group", "role-grant", "network", "subnet", "router", "router-interface",
         "security-group", "security-group-rule", "rbac-link")


def write_copies(dest: Path, prefix: str, source: Path = SAMPLES) -> Path:
    """Copy the sample requests into ``dest`` with every tenant and directorate slug prefixed."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)
    slugs: set[str] = set()
    directorates: set[str] = set()
    for path in sorted(source.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        if "slug" in doc:
            slugs.add(doc["slug"])
            directorates.update(d["slug"] for d in doc.get("directorates") or [])
    owners = "|".join(sorted(map(re.escape, slugs | directorates), key=len, reverse=True))
    link = re.compile(rf"(?<![\w@.-])({owners})(?=/)")
    named = re.compile(rf"((?:scope|directorate|owner):\s*)({owners})(?![\w-])")  # fields naming a project
    slug_line = re.compile(r"^(\s*(?:- )?slug:\s*)([a-z][a-z0-9-]*)", re.M)
    for path in sorted(source.glob("*.yaml")):
        text = slug_line.sub(lambda m: m.group(1) + prefix + m.group(2), path.read_text())
        text = link.sub(lambda m: prefix + m.group(1), text)
        text = named.sub(lambda m: m.group(1) + prefix + m.group(2), text)
        (dest / (path.name if path.name.startswith("_") else prefix + path.name)).write_text(text)
    for extra in source.iterdir():  # README and the like: not requests, but keep the folder alike
        if extra.suffix != ".yaml" and extra.is_file():
            shutil.copy(extra, dest / extra.name)
    return dest


def load_copies(dest: Path):
    from dcctl.tenants import load_tenants

    tenants, problems = load_tenants(dest, INVENTORY)
    assert not problems, problems
    return tenants


def ensure_external_network(conn) -> str | None:
    """Routers' gateways need the lab's external network; returns its id if made here (as test_tenants does)."""
    network = conn.network
    if network.get(f"/networks?name={EXTERNAL}&router:external=true").json()["networks"]:
        return None
    made = network.post("/networks", json={"network": {
        "name": EXTERNAL, "router:external": True, "provider:network_type": "flat",
        "provider:physical_network": EXTERNAL, "description": "lab external network (dcctl tenant tests)"}}
    ).json()["network"]
    network.post("/subnets", json={"subnet": {"network_id": made["id"], "name": EXTERNAL, "cidr": "203.0.113.0/24",
                                              "ip_version": 4, "enable_dhcp": False}})
    return made["id"]


def destroy_prefixed(conn, prefix: str) -> None:
    """Destroy every tenant whose domain starts with ``prefix`` (dcctl's own destroy, links planned once)."""
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    for _ in range(3):  # a loaded lab may fail a delete; the next round re-reads and converges
        snap = read_snapshot(conn)
        plan = plan_destroy_many(snap, [d["name"] for d in snap.domains if d["name"].startswith(prefix)])
        if plan.is_empty:
            return
        report = apply_tenant_plan(conn, plan, concurrency=8)
        if report.ok:
            return
    raise AssertionError(f"could not destroy the {prefix}* tenants: "
                         f"{[r.error for r in report.results if r.error][:5]}")


def without_prefixed(snap, prefix: str):
    """The snapshot as if the prefixed tenants did not exist (what the plan from empty sees)."""
    from dcctl.tenants.snapshot import Snapshot

    domains = {d["id"] for d in snap.domains if d["name"].startswith(prefix)}
    projects = {p["id"] for p in snap.projects if p["domain_id"] in domains}
    networks = {n["id"] for n in snap.networks if n["project_id"] in projects}
    return Snapshot(
        domains=[d for d in snap.domains if d["id"] not in domains],
        projects=[p for p in snap.projects if p["id"] not in projects],
        groups=[g for g in snap.groups if g["domain_id"] not in domains],
        roles=snap.roles, role_assignments=[], networks=[n for n in snap.networks if n["id"] not in networks],
        subnets=[s for s in snap.subnets if s["network_id"] not in networks],
        routers=[r for r in snap.routers if r["project_id"] not in projects],
        router_ports=[], security_groups=[g for g in snap.security_groups if g["project_id"] not in projects],
        rbac_policies=[r for r in snap.rbac_policies if r["object_id"] not in networks])


def desired_census(tenants, snap, prefix: str) -> dict[str, Counter]:
    """Natural keys of every object the requests ask for: the creates planned against a cloud without them."""
    from dcctl.tenants.mapping import rule_text
    from dcctl.tenants.plan import Ref, plan_tenants

    plan, problems = plan_tenants(tenants, without_prefixed(snap, prefix))
    assert not problems, problems
    names: dict[str, str] = {}  # action key -> the name of what it creates
    for a in plan.actions:
        body = a.payload.get("body") or {}
        if "name" in body:
            names[a.key] = body["name"]
    roles = {r["id"]: r["name"] for r in snap.roles}
    groups = {g["id"]: g["name"] for g in snap.groups}  # groups outside the tenants (monitoring)
    ref = lambda v: names[v.key] if isinstance(v, Ref) else groups.get(v, v)  # noqa: E731
    out: dict[str, Counter] = {k: Counter() for k in KINDS}
    for a in plan.actions:
        p, body = a.payload, a.payload.get("body") or {}
        if a.kind in ("domain", "group"):
            out[a.kind][body["name"]] += 1
        elif a.kind == "project":
            out["project"][(ref(body["domain_id"]), body["name"])] += 1
        elif a.kind == "role-grant":
            target = ref(p["project_id"]) if "project_id" in p else \
                ("domain", ref(p["domain_id"]), bool(p.get("inherited")))
            out["role-grant"][(ref(p["group_id"]), target, roles.get(p["role_id"], p["role_id"]))] += 1
        elif a.kind in ("network", "router"):
            out[a.kind][(ref(body["project_id"]), body["name"])] += 1
        elif a.kind == "subnet":
            out["subnet"][(ref(body["network_id"]), body["name"], body["cidr"])] += 1
        elif a.kind == "router-interface":
            out["router-interface"][(ref(p["router_id"]), ref(p["subnet_id"]))] += 1
        elif a.kind == "security-group":
            out["security-group"][(ref(body["project_id"]), body["name"])] += 1
        if a.kind in ("security-group", "security-group-rules"):
            for rule in p["add"]:
                out["security-group-rule"][(p["name"], rule_text(tuple(rule)))] += 1
        elif a.kind == "rbac-link":
            out["rbac-link"][(ref(body["object_id"]), ref(body["target_tenant"]))] += 1
    return out


def census(conn, prefix: str) -> dict[str, Counter]:
    """Natural keys of every object the prefixed tenants hold in the cloud now, each counted."""
    from dcctl.tenants.mapping import live_rule_key, rule_text
    from dcctl.tenants.snapshot import read_snapshot

    snap = read_snapshot(conn)
    domains = {d["id"]: d["name"] for d in snap.domains if d["name"].startswith(prefix)}
    projects = {p["id"]: p["name"] for p in snap.projects if p["domain_id"] in domains}
    groups = {g["id"]: g["name"] for g in snap.groups if g["domain_id"] in domains}
    every_group = {g["id"]: g["name"] for g in snap.groups}
    roles = {r["id"]: r["name"] for r in snap.roles}
    networks = {n["id"]: n["name"] for n in snap.networks if n["project_id"] in projects}
    subnets = {s["id"]: s["name"] for s in snap.subnets if s["network_id"] in networks}
    routers = {r["id"]: r["name"] for r in snap.routers if r["project_id"] in projects}
    sgs = [g for g in snap.security_groups if g["project_id"] in projects and g["name"] != "default"]
    sg_names = {g["id"]: g["name"] for g in snap.security_groups}
    out: dict[str, Counter] = {k: Counter() for k in KINDS}
    out["domain"].update(domains.values())
    out["project"].update((domains[p["domain_id"]], p["name"]) for p in snap.projects if p["id"] in projects)
    out["group"].update(groups.values())
    for a in snap.role_assignments:  # every grant of a group in, or on, the tenants
        group, scope = a.get("group", {}).get("id"), a.get("scope", {})
        on_project = scope.get("project", {}).get("id")
        on_domain = scope.get("domain", {}).get("id")
        if group is None or not (group in groups or on_project in projects or on_domain in domains):
            continue
        target = (projects.get(on_project, on_project) if on_project else
                  ("domain", domains.get(on_domain, on_domain), scope.get("OS-INHERIT:inherited_to") == "projects"))
        out["role-grant"][(every_group.get(group, group), target, roles.get(a["role"]["id"], a["role"]["id"]))] += 1
    out["network"].update((projects[n["project_id"]], n["name"]) for n in snap.networks if n["id"] in networks)
    out["subnet"].update((networks[s["network_id"]], s["name"], s["cidr"]) for s in snap.subnets
                         if s["id"] in subnets)
    out["router"].update((projects[r["project_id"]], r["name"]) for r in snap.routers if r["id"] in routers)
    for port in snap.router_ports:
        if port["device_id"] in routers:
            for ip in port.get("fixed_ips", []):
                out["router-interface"][(routers[port["device_id"]], subnets.get(ip["subnet_id"], ip["subnet_id"]))] += 1
    for g in sgs:
        out["security-group"][(projects[g["project_id"]], g["name"])] += 1
        for rule in g.get("security_group_rules", []):
            out["security-group-rule"][(g["name"], rule_text(live_rule_key(rule, sg_names)))] += 1
    for r in snap.rbac_policies:
        if r.get("object_type") == "network" and r.get("action") == "access_as_shared" and r["object_id"] in networks:
            out["rbac-link"][(networks[r["object_id"]], projects.get(r["target_tenant"], r["target_tenant"]))] += 1
    return out


def duplicates(found: dict[str, Counter]) -> dict[str, dict]:
    return {kind: {k: n for k, n in c.items() if n > 1} for kind, c in found.items() if any(n > 1 for n in c.values())}


def differences(want: dict[str, Counter], have: dict[str, Counter]) -> dict[str, dict]:
    """Per kind: what is missing from the cloud and what it holds beyond the requests."""
    out = {}
    for kind in KINDS:
        missing = sorted(map(str, set(want[kind]) - set(have[kind])))
        extra = sorted(map(str, set(have[kind]) - set(want[kind])))
        if missing or extra:
            out[kind] = {"missing": missing[:10], "extra": extra[:10]}
    return out
