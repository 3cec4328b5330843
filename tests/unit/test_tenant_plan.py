"""The tenant plan is a pure function of (requests, snapshot): what it creates, changes, refuses."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dcctl.core.executor import apply_plan
from dcctl.core.plan import Op
from dcctl.tenants.apply import resolve
from dcctl.tenants import load_tenants
from dcctl.tenants.destroy import plan_destroy
from dcctl.tenants.mapping import MANAGED_MARK, MANAGED_TAG, QUOTA_FIELDS
from dcctl.tenants.plan import PlanOptions, plan_tenants, quota_reads_needed
from dcctl.tenants.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]

HUB = """
slug: secretariat
name: {en: Council of Ministers Secretariat, ar: الأمانة العامة لمجلس الوزراء}
kind: independent-entity
phase: 1
sites: [bgw-dc1]
classification: confidential
contacts: [{name: Office, email: cloud@cabinet.gov.iq}]
quota:
  compute: {cores: 64, ram_gb: 256}
  network: {networks: 4, security_groups: 4}
networks:
  - {name: gov-docs, cidr: 10.100.0.0/22, router: true, shared: true}
groups:
  - {name: admins, role: admin}
"""

HEALTH = """
slug: health
name: {en: Ministry of Health, ar: وزارة الصحة}
kind: ministry
phase: 1
sites: [bgw-dc1]
classification: confidential
contacts: [{name: Health IT, email: cloud@moh.gov.iq}]
quota:
  compute: {cores: 32, ram_gb: 128, instances: 16}
  volume: {volumes: 10}
  network: {networks: 3, routers: 1}
networks:
  - {name: apps, cidr: 10.20.0.0/24, router: true}
  - {name: records, cidr: 10.20.1.0/24, router: true}
security_groups:
  - name: web
    rules:
      - {protocol: tcp, ports: 443, remote: 10.0.0.0/8}
      - {protocol: tcp, ports: 8443, remote_group: web}
links: [secretariat/gov-docs]
groups:
  - {name: admins, role: admin}
  - {name: staff, role: member, scope: all}
directorates:
  - slug: health-rusafa
    name: {en: Rusafa Health Directorate, ar: دائرة صحة الرصافة}
    governorate: Baghdad
    phase: 3
    quota: {compute: {cores: 8}}
"""


@pytest.fixture
def tenants(tmp_path, monkeypatch):
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "secretariat.yaml").write_text(HUB)
    (tmp_path / "tenants" / "health.yaml").write_text(HEALTH)
    monkeypatch.chdir(tmp_path)
    loaded, problems = load_tenants(Path("tenants"), ROOT / "inventory")
    assert problems == []
    return loaded


def empty_cloud() -> Snapshot:
    return Snapshot(roles=[{"id": f"role-{n}", "name": n} for n in ("admin", "manager", "member", "reader")],
                    networks=[{"id": "ext", "name": "public", "project_id": "admin", "router:external": True}])


_ids = itertools.count(1)


def applied(plan, snap: Snapshot) -> Snapshot:
    """The snapshot a cloud would give after ``plan`` ran: each create materialised as the API shows it."""
    data = {name: list(getattr(snap, name)) for name in (
        "domains", "projects", "groups", "roles", "role_assignments", "networks", "subnets", "routers",
        "router_ports", "security_groups", "rbac_policies")}
    quotas = dict(snap.quotas)
    projects = {p["id"]: p for p in data["projects"]}

    def perform(a, results):
        p = resolve(a.payload, results)
        new_id = f"id-{next(_ids)}"
        body = p.get("body", {})
        if a.op is Op.CREATE:
            if a.kind == "domain":
                data["domains"].append({"id": new_id, **body})
            elif a.kind == "project":
                project = {"id": new_id, "parent_id": body.get("parent_id") or body["domain_id"], **body}
                data["projects"].append(project)
                projects[new_id] = project
            elif a.kind == "group":
                data["groups"].append({"id": new_id, **body})
            elif a.kind == "role-grant" and "domain_id" in p:
                scope = {"domain": {"id": p["domain_id"]}} | (
                    {"OS-INHERIT:inherited_to": "projects"} if p.get("inherited") else {})
                data["role_assignments"].append({"group": {"id": p["group_id"]}, "role": {"id": p["role_id"]},
                                                 "scope": scope})
            elif a.kind == "role-grant":
                data["role_assignments"].append({"group": {"id": p["group_id"]}, "role": {"id": p["role_id"]},
                                                 "scope": {"project": {"id": p["project_id"]}}})
            elif a.kind == "network":
                data["networks"].append({"id": new_id, **body})
            elif a.kind == "subnet":
                data["subnets"].append({"id": new_id, **body})
            elif a.kind == "router":
                data["routers"].append({"id": new_id, **body})
            elif a.kind == "router-interface":
                data["router_ports"].append({"id": new_id, "device_id": p["router_id"],
                                             "fixed_ips": [{"subnet_id": p["subnet_id"]}]})
            elif a.kind == "security-group":
                data["security_groups"].append({"id": new_id, **body, "security_group_rules": []})
            elif a.kind == "rbac-link":
                data["rbac_policies"].append({"id": new_id, **body})
        if a.kind == "quota":
            pid = p["project_id"]
            for service, values in p["bodies"].items():
                quotas.setdefault(pid, {}).setdefault(service, {}).update(values)
            if p.get("tags") is not None:
                projects[pid]["tags"] = p["tags"]
        if a.kind in ("security-group", "security-group-rules"):
            group_id = new_id if a.op is Op.CREATE else p["id"]
            group = next(g for g in data["security_groups"] if g["id"] == group_id)
            by_name = {g["name"]: g["id"] for g in data["security_groups"]}
            for rule in p["add"]:
                direction, ethertype, protocol, low, high, prefix, remote = rule
                group["security_group_rules"].append({
                    "id": f"rule-{next(_ids)}", "direction": direction, "ethertype": ethertype,
                    "protocol": protocol, "port_range_min": low, "port_range_max": high,
                    "remote_ip_prefix": prefix, "remote_group_id": by_name.get(remote)})
        return new_id if a.op is Op.CREATE else p.get("id")

    report = apply_plan(plan, perform, concurrency=1)
    assert report.ok, [r.error for r in report.results if r.error]
    return Snapshot(**data, quotas=quotas)


def keys(plan, kind=None, op=None):
    return [a.key for a in plan.actions if (kind is None or a.kind == kind) and (op is None or a.op is op)]


def test_an_empty_cloud_gets_every_object_in_dependency_order(tenants):
    plan, problems = plan_tenants(tenants, empty_cloud())
    assert problems == []
    assert all(a.op is Op.CREATE for a in plan.actions)
    by_key = {a.key: a for a in plan.actions}
    assert set(keys(plan, "domain")) == {"domain:health", "domain:secretariat"}
    assert set(keys(plan, "project")) == {"project:health", "project:health-rusafa", "project:secretariat"}
    assert "project:health" in by_key["project:health-rusafa"].depends_on
    assert by_key["subnet:health/apps"].depends_on == ("network:health/apps", "project:health")
    assert set(by_key["interface:health/apps"].depends_on) == {"router:health", "subnet:health/apps"}
    link = by_key["link:health->secretariat/gov-docs"]
    assert {"network:secretariat/gov-docs", "project:health", "quota:secretariat"} <= set(link.depends_on)
    # a new project's quota comes after the networking dcctl creates in it
    assert {"network:health/apps", "router:health", "sg:health/web"} <= set(by_key["quota:health"].depends_on)
    grants = [a.label for a in plan.actions if a.kind == "role-grant"]
    assert "manager for group health-admins on project health" in grants
    assert "member for group health-staff on project health-rusafa" in grants


def test_what_dcctl_creates_carries_its_marker(tenants):
    plan, _ = plan_tenants(tenants, empty_cloud())
    for a in plan.actions:
        body = a.payload.get("body", {})
        if a.kind in ("domain", "project"):
            assert MANAGED_TAG in body["tags"]
        elif a.kind in ("network", "subnet", "router", "security-group", "group"):
            assert body["description"].endswith(MANAGED_MARK)
    project = next(a for a in plan.actions if a.key == "project:health")
    assert {"dcctl:phase=1", "dcctl:classification=confidential", "dcctl:kind=ministry",
            "dcctl:tenant=health"} <= set(project.payload["body"]["tags"])


def test_replanning_what_was_applied_is_a_no_op_without_reading_quotas(tenants):
    plan, _ = plan_tenants(tenants, empty_cloud())
    after = applied(plan, empty_cloud())
    assert quota_reads_needed(tenants, after) == []
    again, problems = plan_tenants(tenants, after)
    assert problems == [] and again.is_empty, again.render()


def test_changing_one_quota_is_exactly_one_update_with_old_and_new(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    edited = tenants.tenants["health"].model_copy(update={"quota": tenants.tenants["health"].quota.model_copy(
        update={"compute": tenants.tenants["health"].quota.compute.model_copy(update={"cores": 48})})})
    tenants.tenants["health"] = edited
    health_id = next(p["id"] for p in after.projects if p["name"] == "health")
    assert quota_reads_needed(tenants, after) == [health_id]
    plan, problems = plan_tenants(tenants, after)
    assert problems == []
    assert [(a.op, a.kind, a.key) for a in plan.actions] == [(Op.UPDATE, "quota", "quota:health")]
    changes = {c.field: (c.old, c.new) for c in plan.actions[0].changes}
    assert changes["compute.cores"] == (32, 48)
    assert plan.actions[0].payload["bodies"] == {"compute": {"cores": 48}}
    assert "compute.cores: 32 -> 48" in plan.render()


def test_quota_changed_by_hand_shows_only_when_quotas_are_refreshed(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    health_id = next(p["id"] for p in after.projects if p["name"] == "health")
    after.quotas[health_id]["compute"]["cores"] = 200
    assert plan_tenants(tenants, after)[0].is_empty  # the recorded digest still matches
    plan, _ = plan_tenants(tenants, after, PlanOptions(refresh=True))
    assert [(a.key, [(c.field, c.old, c.new) for c in a.changes]) for a in plan.actions] == [
        ("quota:health", [("compute.cores", 200, 32)])]


def test_a_same_named_object_dcctl_does_not_manage_is_refused_not_adopted(tenants):
    snap = empty_cloud()
    snap.domains.append({"id": "d-hand", "name": "health", "tags": [], "description": "made by hand"})
    snap.index()
    plan, problems = plan_tenants(tenants, snap)
    assert [p.code for p in problems] == ["unmanaged-conflict"]
    assert problems[0].location.file.endswith("health.yaml")
    assert "domain 'health' already exists in the cloud and is not managed by dcctl" in problems[0].message
    assert not [a for a in plan.actions if a.scope == "health"]


def test_a_subnet_range_cannot_change_in_place(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    net = tenants.tenants["health"].networks[0]
    tenants.tenants["health"].networks[0] = net.model_copy(update={"cidr": __import__("ipaddress").ip_network("10.20.8.0/24")})
    _, problems = plan_tenants(tenants, after)
    assert [p.code for p in problems] == ["cidr-change"]
    assert "is 10.20.0.0/24 in the cloud" in problems[0].message


def test_deletions_are_planned_only_with_prune(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    tenants.tenants["health"].networks.pop()  # 'records' is no longer asked for
    plan, _ = plan_tenants(tenants, after)
    assert plan.is_empty
    assert any("1 deletion(s) not planned" in n or "deletion(s) not planned" in n for n in plan.notes)
    pruned, problems = plan_tenants(tenants, after, PlanOptions(prune=True))
    assert problems == []
    ops = [(a.op, a.kind) for a in pruned.actions]
    assert ops == [(Op.DELETE, "network"), (Op.DELETE, "router-interface")] or \
        sorted(ops) == sorted([(Op.DELETE, "network"), (Op.DELETE, "router-interface")])
    network = next(a for a in pruned.actions if a.kind == "network")
    interface = next(a for a in pruned.actions if a.kind == "router-interface")
    assert interface.key in network.depends_on
    assert "- network health-records" in pruned.render()


def test_a_rule_added_by_hand_to_a_managed_group_is_a_change_of_the_group(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    group = next(g for g in after.security_groups if g["name"] == "health-web")
    group["security_group_rules"].append({"id": "hand", "direction": "ingress", "ethertype": "IPv4",
                                          "protocol": "tcp", "port_range_min": 22, "port_range_max": 22})
    after.index()
    plan, _ = plan_tenants(tenants, after)
    assert [(a.op, a.kind) for a in plan.actions] == [(Op.UPDATE, "security-group")]
    assert plan.actions[0].payload["remove"] == ["hand"]
    assert 'rule: "ingress tcp 22 from any" -> (none)' in plan.render()


def test_planning_one_tenant_whose_link_needs_another_not_yet_applied_is_refused(tenants):
    plan, problems = plan_tenants(tenants, empty_cloud(), PlanOptions(tenants=frozenset({"health"})))
    assert problems and all(p.code == "needs-other-tenant" for p in problems)
    assert "apply tenant secretariat first" in problems[0].hint
    after_hub = applied(plan_tenants(tenants, empty_cloud(), PlanOptions(tenants=frozenset({"secretariat"})))[0],
                        empty_cloud())
    plan, problems = plan_tenants(tenants, after_hub, PlanOptions(tenants=frozenset({"health"})))
    assert problems == [] and {a.scope for a in plan.actions} == {"health"}


def test_a_phase_filter_leaves_later_directorates_out(tenants):
    plan, problems = plan_tenants(tenants, empty_cloud(), PlanOptions(phase=1))
    assert problems == []
    assert "project:health-rusafa" not in keys(plan)
    assert not [a for a in plan.actions if "health-rusafa" in a.label]
    plan3, _ = plan_tenants(tenants, empty_cloud(), PlanOptions(phase=3))
    assert "project:health-rusafa" in keys(plan3)


def test_drift_ignores_tenants_never_applied(tenants):
    hub_only = applied(plan_tenants(tenants, empty_cloud(), PlanOptions(tenants=frozenset({"secretariat"})))[0],
                       empty_cloud())
    drift, problems = plan_tenants(tenants, hub_only, PlanOptions(prune=True, refresh=True, existing_only=True))
    assert problems == []
    assert drift.is_empty, drift.render()


def test_plan_text_and_json(tenants):
    plan, _ = plan_tenants(tenants, empty_cloud())
    text = plan.render()
    assert text.splitlines()[-1].startswith("Plan: ") and "to create, 0 to change, 0 to delete." in text
    assert "+ domain secretariat" in text and "\x1b[" not in text
    assert "\x1b[32m+ domain" in plan.render(colour=True)
    data = plan.as_dict()
    assert data["counts"]["create"] == len(plan.actions)
    assert all("payload" not in a for a in data["actions"])


def test_a_shared_network_owner_gets_an_unlimited_rbac_quota(tenants):
    plan, _ = plan_tenants(tenants, empty_cloud())
    hub_quota = next(a for a in plan.actions if a.key == "quota:secretariat")
    assert hub_quota.payload["bodies"]["network"]["rbac_policy"] == -1
    health_quota = next(a for a in plan.actions if a.key == "quota:health")
    assert "rbac_policy" not in health_quota.payload["bodies"].get("network", {})
    assert health_quota.payload["bodies"]["compute"]["ram"] == 128 * 1024
    assert set(QUOTA_FIELDS) >= {k for k, _ in [(c.field, 0) for c in health_quota.changes]}


def test_destroy_deletes_only_what_is_marked_and_keeps_a_domain_holding_more(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    domain = next(d for d in after.domains if d["name"] == "health")
    after.projects.append({"id": "by-hand", "name": "hand-made", "domain_id": domain["id"], "parent_id": domain["id"],
                           "tags": []})
    after.networks.append({"id": "hand-net", "name": "hand-net", "project_id": after.projects[0]["id"],
                           "description": "made by hand"})
    after.index()
    plan = plan_destroy(after, "health")
    assert all(a.op is Op.DELETE for a in plan.actions)
    labels = {a.label for a in plan.actions}
    assert "hand-made" not in labels and "hand-net" not in labels
    assert {"health", "health-rusafa"} <= {a.label for a in plan.actions if a.kind == "project"}
    assert not [a for a in plan.actions if a.kind == "domain"]
    assert any("domain health is kept" in n for n in plan.notes)
    top = next(a for a in plan.actions if a.kind == "project" and a.label == "health")
    child = next(a for a in plan.actions if a.kind == "project" and a.label == "health-rusafa")
    assert child.key in top.depends_on
    # the hub's network shared with health loses its link before anything else goes
    link = next(a for a in plan.actions if a.kind == "rbac-link")
    assert "shared with project health" in link.label


def test_destroying_one_directorate_leaves_its_tenant_alone(tenants):
    after = applied(plan_tenants(tenants, empty_cloud())[0], empty_cloud())
    plan = plan_destroy(after, "health-rusafa")
    assert {(a.kind, a.label) for a in plan.actions} == {("quota", "health-rusafa"), ("project", "health-rusafa")}
    tenants.tenants["health"].directorates.clear()
    left, _ = plan_tenants(tenants, after)
    assert left.is_empty
    assert any("health-rusafa" in n and "tenant destroy health-rusafa" in n for n in left.notes)


MONITORING_POLICY = """
monitoring: {group: dcctl-monitoring, domain: Default, role: reader}
"""


def with_monitoring(tenants_fixture_dir: Path):
    (tenants_fixture_dir / "_policy.yaml").write_text(MONITORING_POLICY)
    loaded, problems = load_tenants(tenants_fixture_dir, ROOT / "inventory")
    assert problems == []
    return loaded


def cloud_with_monitoring_group() -> Snapshot:
    snap = empty_cloud()
    return Snapshot(**{**{k: getattr(snap, k) for k in ("roles", "networks")},
                       "domains": [{"id": "default", "name": "Default"}],
                       "groups": [{"id": "mon", "name": "dcctl-monitoring", "domain_id": "default"}]})


def test_the_monitoring_group_reads_every_project_of_each_tenant_through_one_inherited_domain_grant(tenants):
    monitored = with_monitoring(Path("tenants"))
    plan, problems = plan_tenants(monitored, cloud_with_monitoring_group())
    assert problems == []
    grants = {a.key: a for a in plan.actions if a.key.endswith("/monitoring")}
    assert set(grants) == {"grant:health/monitoring", "grant:secretariat/monitoring"}
    payload = grants["grant:health/monitoring"].payload
    assert payload["inherited"] is True and payload["group_id"] == "mon" and payload["role_id"] == "role-reader"
    assert "domain:health" in grants["grant:health/monitoring"].depends_on
    replan, problems = plan_tenants(monitored, applied(plan, cloud_with_monitoring_group()))
    assert problems == [] and replan.is_empty


def test_a_monitoring_group_the_cloud_lacks_is_one_problem_at_the_policy_not_one_per_tenant(tenants):
    monitored = with_monitoring(Path("tenants"))
    _plan, problems = plan_tenants(monitored, empty_cloud())
    assert [p.code for p in problems] == ["missing-monitoring-group"]
    assert problems[0].location.file.endswith("_policy.yaml") and problems[0].location.line == 2
    assert "dcctl-monitoring" in problems[0].message


def test_without_monitoring_in_the_policy_no_domain_grant_is_planned(tenants):
    plan, _ = plan_tenants(tenants, cloud_with_monitoring_group())
    assert not [a for a in plan.actions if a.key.endswith("/monitoring")]


def test_two_live_networks_of_one_name_are_a_problem_not_a_silent_pick(tenants):
    """Neutron allows a repeated name (a retried create whose first answer was lost): never guess."""
    plan, _ = plan_tenants(tenants, empty_cloud())
    cloud = applied(plan, empty_cloud())
    (net,) = [n for n in cloud.networks if n["name"] == "health-apps"]
    twin = dict(net, id="twin-of-apps")
    cloud = Snapshot(**{k: getattr(cloud, k) for k in (
        "domains", "projects", "groups", "roles", "role_assignments", "subnets", "routers", "router_ports",
        "security_groups", "rbac_policies")}, networks=cloud.networks + [twin], quotas=cloud.quotas)
    replan, problems = plan_tenants(tenants, cloud)
    assert [p.code for p in problems] == ["duplicate-in-cloud"]
    assert "2 networks named 'health-apps'" in problems[0].message and "twin-of-apps" in problems[0].message
    assert problems[0].location.file.endswith("health.yaml")
    assert not [a for a in replan.actions if a.key == "network:health/apps"]
