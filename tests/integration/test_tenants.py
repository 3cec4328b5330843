"""Tenants against the lab cloud: apply every sample from empty, then prove the plan, drift,
links, isolation with real tokens, and destroy's refusals. Everything is destroyed at the end.

The tests run in file order and share the applied samples (module scope).
"""

from __future__ import annotations

import secrets
import shutil
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tenantcopies import ensure_external_network  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventory"
SAMPLES = ROOT / "tenants"


def _connect():
    from dcctl.core.cloud import connect

    return connect("dcctl-lab")


def _samples():
    from dcctl.tenants import load_tenants

    tenants, problems = load_tenants(SAMPLES, INVENTORY)
    assert not problems
    return tenants


def _destroy(conn, slugs) -> None:
    """Destroy these tenants (if present), every link between them planned once."""
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    plan = plan_destroy_many(read_snapshot(conn), slugs)
    if plan.actions:
        report = apply_tenant_plan(conn, plan, concurrency=8)
        assert report.ok, [r.error for r in report.results if r.error][:5]


@pytest.fixture(scope="module")
def cloud(lab):
    """The lab with every sample tenant applied from empty; destroyed (and the lab as found) at the end."""
    from dcctl.lab import process

    if any(process.pid_of(lab.paths, n) is None for n in ("keystone", "neutron", "nova", "cinder")):
        pytest.skip("keystone, neutron, nova and cinder must run for the tenant tests")
    conn = _connect()
    tenants = _samples()
    _destroy(conn, tenants.tenants)  # leftovers of an interrupted run
    made_external = ensure_external_network(conn)
    state = {"conn": conn, "tenants": tenants}
    try:
        yield state
    finally:
        _destroy(conn, tenants.tenants)
        if made_external:
            conn.network.delete(f"/networks/{made_external}")
        conn.close()


def test_every_sample_applies_from_empty(cloud):
    from dcctl.core.plan import Op
    from dcctl.tenants import plan_live
    from dcctl.tenants.apply import apply_tenant_plan

    conn, tenants = cloud["conn"], cloud["tenants"]
    plan, problems, _ = plan_live(conn, tenants)
    assert problems == []
    assert {a.op for a in plan.actions} == {Op.CREATE}
    assert {a.scope for a in plan.actions} == set(tenants.tenants)
    start = time.monotonic()
    report = apply_tenant_plan(conn, plan, concurrency=8)
    cloud["apply_seconds"] = time.monotonic() - start
    assert report.ok, [(r.action.key, r.error) for r in report.results if r.error][:5]
    domains = {d["name"] for d in conn.identity.get("/domains").json()["domains"]}
    assert set(tenants.tenants) <= domains


def test_a_replan_is_a_no_op_with_zero_writes_and_a_handful_of_calls(cloud):
    from dcctl.tenants import plan_live

    conn = _connect()
    plan, problems, _ = plan_live(conn, cloud["tenants"])
    assert problems == []
    assert plan.is_empty, plan.render()
    assert conn.dcctl_calls.write_calls() == []
    assert conn.dcctl_calls.total <= 20, conn.dcctl_calls.log


def test_changing_one_quota_is_exactly_one_update(cloud, tmp_path):
    from dcctl.core.plan import Op
    from dcctl.tenants import load_tenants, plan_live
    from dcctl.tenants.apply import apply_tenant_plan

    edited = tmp_path / "tenants"
    shutil.copytree(SAMPLES, edited)
    health = edited / "health.yaml"
    health.write_text(health.read_text().replace("compute: {cores: 96,", "compute: {cores: 112,", 1))
    tenants, problems = load_tenants(edited, INVENTORY)
    assert problems == []
    conn = _connect()
    plan, problems, _ = plan_live(conn, tenants)
    assert problems == []
    assert [(a.op, a.kind, a.key) for a in plan.actions] == [(Op.UPDATE, "quota", "quota:health")]
    assert ("compute.cores", 96, 112) in [(c.field, c.old, c.new) for c in plan.actions[0].changes]
    conn.dcctl_calls.reset()
    assert apply_tenant_plan(conn, plan).ok
    assert [m for m, _ in conn.dcctl_calls.write_calls()] == ["PUT", "PATCH"]  # Nova quota, then the digest tag
    health_id = _project_id(conn, "health")
    assert conn.compute.get(f"/os-quota-sets/{health_id}").json()["quota_set"]["cores"] == 112
    # and back: the samples again
    plan, _, _ = plan_live(conn, cloud["tenants"])
    assert [a.key for a in plan.actions] == ["quota:health"]
    assert apply_tenant_plan(conn, plan).ok


def test_a_change_made_by_hand_shows_in_drift_and_apply_puts_it_back(cloud):
    from dcctl.cli.main import cli

    conn = cloud["conn"]
    finance_id = _project_id(conn, "finance")
    conn.compute.put(f"/os-quota-sets/{finance_id}", json={"quota_set": {"instances": 500}})
    group = conn.network.get("/security-groups?name=health-web").json()["security_groups"][0]
    conn.network.post("/security-group-rules", json={"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "ethertype": "IPv4"}})
    args = ["--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab", "tenant"]
    runner = CliRunner()
    drift = runner.invoke(cli, args + ["drift", "--tenants", str(SAMPLES)])
    assert drift.exit_code == 4, drift.output
    assert "compute.instances: 500 -> 64" in drift.output
    assert 'rule: "ingress tcp 22 from any" -> (none)' in drift.output
    plan = runner.invoke(cli, args + ["plan", "--tenants", str(SAMPLES)])
    assert plan.exit_code == 0
    assert "compute.instances" not in plan.output  # the plan trusts the recorded digest: drift is the check
    fixed = runner.invoke(cli, args + ["apply", "--tenants", str(SAMPLES), "--refresh", "--yes"])
    assert fixed.exit_code == 0, fixed.output
    again = runner.invoke(cli, args + ["drift", "--tenants", str(SAMPLES)])
    assert again.exit_code == 0, again.output
    assert "No drift" in again.output


def test_show_gives_the_live_view_with_quota_use(cloud):
    import json

    from dcctl.cli.main import cli

    result = CliRunner().invoke(cli, ["--os-cloud", "dcctl-lab", "tenant", "show", "health", "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    projects = {p["name"]: p for p in view["projects"]}
    assert set(projects) == {"health", "health-rusafa", "health-karkh"}
    top = projects["health"]
    assert (top["phase"], top["classification"], top["kind"]) == ("1", "confidential", "ministry")
    quota = {row["quota"]: row for row in top["quota"]}
    assert quota["compute.cores"]["limit"] == 96 and quota["compute.ram_gb"]["limit"] == 384
    assert quota["network.networks"] == {"quota": "network.networks", "limit": 4, "used": 2}
    assert "secretariat-gov-docs" in top["links"]
    text = CliRunner().invoke(cli, ["--os-cloud", "dcctl-lab", "tenant", "show", "health"])
    assert "project health-rusafa (directorate of health)" in text.output


def test_a_link_is_visible_to_its_target_and_not_to_others(cloud):
    conn = cloud["conn"]
    gov_docs = conn.network.get("/networks?name=secretariat-gov-docs").json()["networks"][0]
    targets = {r["target_tenant"] for r in conn.network.get(
        f"/rbac-policies?object_id={gov_docs['id']}&action=access_as_shared").json()["rbac_policies"]}
    names = {p["id"]: p["name"] for p in conn.identity.get("/projects").json()["projects"]}
    linked = {names[t] for t in targets}
    assert {"health", "finance", "interior", "basra", "health-rusafa"} <= linked
    assert "housing-bank" not in linked  # it links to the e-payment gateway only
    assert "*" not in targets
    # what dcctl creates is owned, and counted against quota, by the tenant's projects, not the admin's
    owners = {r["project_id"] for r in conn.network.get(
        f"/rbac-policies?object_id={gov_docs['id']}").json()["rbac_policies"] if r["action"] == "access_as_shared"}
    assert owners == {_project_id(conn, "secretariat")}
    web = conn.network.get("/security-groups?name=health-web").json()["security_groups"][0]
    assert {r["project_id"] for r in web["security_group_rules"]} == {_project_id(conn, "health")}


def test_isolation_with_real_tokens(cloud):
    """Users in two ministries' member groups see their own projects and networks, not the other's."""
    health = _login_as_member(cloud["conn"], "health", "staff")
    housing = _login_as_member(cloud["conn"], "housing-bank", "staff")
    try:
        projects = {p["name"] for p in health.identity.get("/auth/projects").json()["projects"]}
        assert projects == {"health", "health-rusafa", "health-karkh"}  # staff: scope all
        seen = {n["name"] for n in health.network.get("/networks").json()["networks"]}
        assert {"health-apps", "health-records", "secretariat-gov-docs"} <= seen
        assert not {n for n in seen if n.startswith(("finance-", "housing-bank-", "interior-"))}
        assert "secretariat-edms-apps" not in seen  # the hub shares gov-docs only
        assert "public" in seen  # the external network is visible to all, as in any cloud

        projects = {p["name"] for p in housing.identity.get("/auth/projects").json()["projects"]}
        assert projects == {"housing-bank"}
        seen = {n["name"] for n in housing.network.get("/networks").json()["networks"]}
        assert {"housing-bank-core-banking", "cbi-epayment-epay-gateway"} <= seen
        assert not {n for n in seen if n.startswith(("health-", "secretariat-"))}
        routers = health.network.get("/routers").json()["routers"]
        assert {r["name"] for r in routers} == {"health-router"}
    finally:
        for user_conn in (health, housing):
            user_conn.dcctl_cleanup()


def test_destroy_refuses_what_dcctl_does_not_manage(cloud):
    from dcctl.cli.main import cli

    conn = cloud["conn"]
    args = ["--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab", "tenant", "destroy"]
    runner = CliRunner()
    hand = conn.identity.post("/domains", json={"domain": {"name": "dcctl-test-hand-made"}}).json()["domain"]
    try:
        result = runner.invoke(cli, args + ["dcctl-test-hand-made", "--allow-destroy", "--yes"])
        assert result.exit_code == 1
        assert "is not managed by dcctl: refusing to touch it" in result.output
        assert conn.identity.get(f"/domains/{hand['id']}").status_code == 200
    finally:
        conn.identity.patch(f"/domains/{hand['id']}", json={"domain": {"enabled": False}})
        conn.identity.delete(f"/domains/{hand['id']}")

    result = runner.invoke(cli, args + ["health", "--yes"])
    assert result.exit_code == 1 and "without --allow-destroy" in result.output

    apps = conn.network.get("/networks?name=health-apps").json()["networks"][0]
    port = conn.network.post("/ports", json={"port": {"network_id": apps["id"], "name": "a-server-nic",
                                                      "project_id": apps["project_id"]}}).json()["port"]
    try:
        result = runner.invoke(cli, args + ["health", "--allow-destroy", "--yes"])
        assert result.exit_code == 1, result.output
        assert "1 port(s) not made by dcctl" in result.output
        assert _project_id(conn, "health")  # still there
    finally:
        conn.network.delete(f"/ports/{port['id']}")


def test_a_request_the_cloud_refuses_is_stopped_with_zero_writes(cloud, tmp_path):
    """A plan-time problem (an unmanaged domain with the tenant's name) reads the cloud but writes nothing."""
    import json

    from dcctl.cli.main import cli

    conn = cloud["conn"]
    edited = tmp_path / "tenants"
    edited.mkdir()
    request = (SAMPLES / "najaf.yaml").read_text().replace("slug: najaf", "slug: dcctl-test-taken")
    request = request.replace("links:\n  - secretariat/gov-docs\n", "")
    (edited / "dcctl-test-taken.yaml").write_text(request)
    taken = conn.identity.post("/domains", json={"domain": {"name": "dcctl-test-taken"}}).json()["domain"]
    try:
        args = ["--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab", "tenant", "apply", "--tenants",
                str(edited), "--yes"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "dcctl-test-taken.yaml:2:7: error: domain 'dcctl-test-taken' already exists in the cloud " \
               "and is not managed by dcctl" in result.output
        report = json.loads(CliRunner().invoke(cli, ["--json", *args]).output)
        assert report["ok"] is False and report["calls"] > 0  # the cloud was read ...
        assert report["write_calls"] == 0  # ... and nothing was written
    finally:
        conn.identity.patch(f"/domains/{taken['id']}", json={"domain": {"enabled": False}})
        conn.identity.delete(f"/domains/{taken['id']}")


def test_destroy_removes_a_tenant_and_apply_brings_it_back(cloud):
    from dcctl.tenants import plan_live
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.plan import PlanOptions

    conn = cloud["conn"]
    _destroy(conn, ["federal-supreme-court"])
    assert not conn.identity.get("/domains?name=federal-supreme-court").json()["domains"]
    assert not conn.network.get("/networks?name=federal-supreme-court-registry").json()["networks"]
    plan, problems, _ = plan_live(conn, cloud["tenants"], PlanOptions(tenants=frozenset({"federal-supreme-court"})))
    assert problems == [] and plan.actions
    assert apply_tenant_plan(conn, plan).ok
    again, _, _ = plan_live(conn, cloud["tenants"])
    assert again.is_empty, again.render()


# -- helpers ----------------------------------------------------------------------------------

def _project_id(conn, name: str) -> str:
    return conn.identity.get(f"/projects?name={name}").json()["projects"][0]["id"]


def _login_as_member(admin, tenant: str, group: str):
    """A new user in the tenant's group, logged in with a password made here (never printed)."""
    import openstack

    domain = admin.identity.get(f"/domains?name={tenant}").json()["domains"][0]
    group_id = admin.identity.get(f"/groups?name={tenant}-{group}&domain_id={domain['id']}").json()["groups"][0]["id"]
    password = secrets.token_urlsafe(24)
    user = admin.identity.post("/users", json={"user": {
        "name": f"dcctl-test-{tenant}-user", "domain_id": domain["id"], "password": password}}).json()["user"]
    admin.identity.put(f"/groups/{group_id}/users/{user['id']}")
    auth_url = admin.config.auth["auth_url"]
    conn = openstack.connect(auth_url=auth_url, username=user["name"], password=password,
                             user_domain_id=domain["id"], project_name=tenant, project_domain_id=domain["id"],
                             region_name="RegionOne", identity_api_version="3")

    def cleanup():
        conn.close()
        admin.identity.delete(f"/users/{user['id']}")

    conn.dcctl_cleanup = cleanup
    return conn
