"""Destroy a tenant: everything dcctl made for it, and nothing else.

``find_blockers`` reads what would be left behind (servers, volumes, ports and
networking dcctl does not manage); ``plan_destroy`` is pure and deletes only
objects carrying dcctl's marker, in dependency order: links, router interfaces,
routers, networks, security groups, groups, quotas, directorates, the top
project and last the domain (kept when it still holds anything unmanaged).
The one exception to "only what is marked" is each project's ``default``
security group, which Neutron itself creates; it goes with its project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dcctl.core.plan import Action, Op, Plan
from dcctl.tenants.mapping import is_managed_tags, is_marked, tag_value
from dcctl.tenants.snapshot import Snapshot, get_json, list_all


@dataclass
class Blockers:
    """What a project holds that dcctl does not manage, by project name."""

    items: dict[str, list[str]] = field(default_factory=dict)

    def add(self, project: str, what: str) -> None:
        self.items.setdefault(project, []).append(what)

    def __bool__(self) -> bool:
        return bool(self.items)

    def lines(self) -> list[str]:
        return [f"project {p}: {', '.join(w)}" for p, w in sorted(self.items.items())]


def destroy_scope(snap: Snapshot, slug: str) -> tuple[dict | None, list[dict], bool]:
    """What ``slug`` names: a tenant (its domain and projects, children first, whole=True) or,
    failing that, one project such as a directorate no request asks for any more (whole=False)."""
    domain = snap.domain_by_name.get(slug)
    if domain is not None:
        projects = [p for p in snap.projects if p["domain_id"] == domain["id"]]
        projects.sort(key=lambda p: (p.get("parent_id") == domain["id"], p["name"]))
        return domain, projects, True
    project = next((p for p in snap.projects if p["name"] == slug
                    and tag_value(p.get("tags"), "kind") == "directorate"), None)
    if project is None:
        project = next((p for p in snap.projects if p["name"] == slug), None)
    if project is None:
        return None, [], False
    return snap.domain_by_id.get(project["domain_id"]), [project], False


def find_blockers(conn, snap: Snapshot, projects: list[dict]) -> Blockers:
    """Servers, volumes, ports and networking in these projects that dcctl did not create (reads only)."""
    blockers = Blockers()
    managed_routers = {r["id"] for r in snap.routers if is_marked(r.get("description"))}
    for project in projects:
        name, pid = project["name"], project["id"]
        if not is_managed_tags(project.get("tags")):
            blockers.add(name, "the project itself is not managed by dcctl")
        servers = get_json(conn.compute, f"/servers?all_tenants=1&project_id={pid}").get("servers", [])
        if servers:
            blockers.add(name, f"{len(servers)} server(s)")
        volumes = get_json(conn.block_storage, f"/volumes?all_tenants=1&project_id={pid}").get("volumes", [])
        if volumes:
            blockers.add(name, f"{len(volumes)} volume(s)")
        ports = list_all(conn.network, f"/ports?project_id={pid}", "ports")
        foreign = [p for p in ports if not (p.get("device_owner") == "network:dhcp"
                                           or (p.get("device_owner", "").startswith("network:router")
                                               and p.get("device_id") in managed_routers))]
        if foreign:
            blockers.add(name, f"{len(foreign)} port(s) not made by dcctl")
        for kind, items in (("network", snap.networks), ("router", snap.routers)):
            mine = [i for i in items if i.get("project_id") == pid and not is_marked(i.get("description"))]
            if mine:
                blockers.add(name, f"{len(mine)} {kind}(s) not made by dcctl: {', '.join(i['name'] for i in mine)}")
        groups = [g for g in snap.security_groups if g.get("project_id") == pid and g["name"] != "default"
                  and not is_marked(g.get("description"))]
        if groups:
            blockers.add(name, f"{len(groups)} security group(s) not made by dcctl")
    return blockers


def plan_destroy_many(snap: Snapshot, slugs) -> Plan:
    """Several tenants in one plan; a link between two of them is deleted once. Pure."""
    merged: dict[str, Action] = {}
    for slug in slugs:
        for action in plan_destroy(snap, slug).actions:
            merged.setdefault(action.key, action)
    return Plan(list(merged.values()))


def plan_destroy(snap: Snapshot, slug: str) -> Plan:
    """Delete what dcctl made for tenant ``slug`` (or for the one directorate ``slug``). Pure."""
    domain, projects, whole = destroy_scope(snap, slug)
    plan = Plan()
    if domain is None:
        return plan
    managed = [p for p in projects if is_managed_tags(p.get("tags"))]
    ids = {p["id"] for p in managed}
    phase = int(tag_value(domain.get("tags"), "phase") or 1)
    by_project: dict[str, list[str]] = {p["id"]: [] for p in managed}

    def add(kind: str, key: str, label: str, payload: dict, after=(), project: str | None = None) -> None:
        plan.actions.append(Action(Op.DELETE, kind, key, label, scope=slug, depends_on=tuple(after),
                                   payload={**payload, "phase": phase}))
        if project in by_project:
            by_project[project].append(key)

    networks = [n for n in snap.networks if n.get("project_id") in ids and is_marked(n.get("description"))]
    net_ids = {n["id"] for n in networks}
    links: dict[str, list[str]] = {}
    for (network_id, target), policy in sorted(snap.shares.items()):
        if network_id in net_ids or target in ids:
            key = f"link:rbac/{policy['id']}"
            network = snap.network_by_id.get(network_id, {})
            target_name = snap.project_by_id.get(target, {}).get("name", target)
            add("rbac-link", key, f"{network.get('name', network_id)} shared with project {target_name}",
                {"id": policy["id"]}, project=target if target in ids else network.get("project_id"))
            links.setdefault(network_id, []).append(key)
    interfaces: dict[str, list[str]] = {}
    for router in snap.routers:
        if router.get("project_id") not in ids or not is_marked(router.get("description")):
            continue
        keys = []
        for subnet_id in snap.interfaces_of.get(router["id"], {}):
            key = f"interface:{router['id']}/{subnet_id}"
            subnet = snap.subnet_by_id.get(subnet_id, {})
            add("router-interface", key, f"{router['name']} - {subnet.get('name', subnet_id)}",
                {"router_id": router["id"], "subnet_id": subnet_id}, project=router["project_id"])
            keys.append(key)
            interfaces.setdefault(subnet.get("network_id", ""), []).append(key)
        add("router", f"router:{router['id']}", router["name"], {"id": router["id"]}, keys, router["project_id"])
    for network in networks:
        add("network", f"network:{network['id']}", network["name"], {"id": network["id"]},
            links.get(network["id"], []) + interfaces.get(network["id"], []), network["project_id"])
    for group in snap.security_groups:
        if group.get("project_id") in ids and (is_marked(group.get("description")) or group["name"] == "default"):
            add("security-group", f"sg:{group['id']}", f"{group['name']} (project "
                f"{snap.project_by_id[group['project_id']]['name']})",
                {"id": group["id"], "cloud_default": group["name"] == "default"},
                project=group["project_id"])
    group_keys = []
    for group in snap.groups if whole else ():
        if group["domain_id"] == domain["id"] and is_marked(group.get("description")):
            add("group", f"group:{group['id']}", group["name"], {"id": group["id"]})
            group_keys.append(f"group:{group['id']}")
    for project in managed:
        add("quota", f"quota:{project['id']}", project["name"], {"project_id": project["id"]},
            by_project[project["id"]][:], project["id"])
    children_of: dict[str, list[str]] = {}
    for project in managed:
        children_of.setdefault(project.get("parent_id") or "", []).append(f"project:{project['id']}")
    for project in managed:  # children come first in ``projects``
        after = by_project[project["id"]] + children_of.get(project["id"], [])
        add("project", f"project:{project['id']}", project["name"], {"id": project["id"]}, after)
    if not whole:
        return plan
    unmanaged = [p["name"] for p in projects if p["id"] not in ids]
    unmanaged += [g["name"] for g in snap.groups if g["domain_id"] == domain["id"] and not is_marked(g.get("description"))]
    if is_managed_tags(domain.get("tags")) and not unmanaged:
        add("domain", f"domain:{domain['id']}", domain["name"], {"id": domain["id"]},
            [f"project:{p['id']}" for p in managed] + group_keys)
    elif unmanaged:
        plan.notes.append(f"domain {domain['name']} is kept: it holds what dcctl does not manage "
                          f"({', '.join(sorted(unmanaged))})")
    return plan
