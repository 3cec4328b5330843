"""The exporter's tenant collector against the lab, as the read-only account: quota limits and
use per project through the policy's monitoring group, and tenant drift.

A tenant of its own (slug ``exporter-quota``) is applied, read, changed by hand and destroyed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLUG = "exporter-quota"

POLICY = """
monitoring: {group: dcctl-monitoring, domain: Default, role: reader}
"""

TENANT = f"""
slug: {SLUG}
name: {{en: Exporter Quota Test Ministry, ar: وزارة اختبار الحصص}}
kind: ministry
phase: 2
sites: [bgw-dc1]
classification: internal
contacts: [{{name: Test, email: test@example.gov.iq}}]
quota:
  compute: {{cores: 12, ram_gb: 48, instances: 6}}
  volume: {{volumes: 5, gigabytes: 200}}
  network: {{networks: 4, subnets: 4, security_groups: 3}}
networks:
  - {{name: apps, cidr: 10.250.0.0/24}}
  - {{name: data, cidr: 10.250.1.0/24}}
groups:
  - {{name: admins, role: admin}}
"""


def _destroy(conn) -> None:
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy
    from dcctl.tenants.snapshot import read_snapshot

    plan = plan_destroy(read_snapshot(conn), SLUG)
    if plan.actions:
        assert apply_tenant_plan(conn, plan, concurrency=4).ok


@pytest.fixture(scope="module")
def applied(lab, tmp_path_factory):
    from dcctl.core.cloud import connect

    tenants = tmp_path_factory.mktemp("tenants")
    (tenants / "_policy.yaml").write_text(POLICY)
    (tenants / f"{SLUG}.yaml").write_text(TENANT)
    conn = connect("dcctl-lab")
    _destroy(conn)
    state = tmp_path_factory.mktemp("state") / "audit.sqlite"
    result = subprocess.run([sys.executable, "-m", "dcctl", "--os-cloud", "dcctl-lab", "--inventory",
                             str(ROOT / "inventory"), "--state-url", f"sqlite:///{state}", "tenant", "apply",
                             "--tenants", str(tenants), "--yes"], capture_output=True, text=True, cwd=ROOT,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    try:
        yield tenants, conn
    finally:
        _destroy(conn)
        conn.close()


def _collect(tenants: Path) -> dict:
    from dcctl.monitoring.collectors.tenants import TenantCollector

    families = TenantCollector("dcctl-lab-reader", tenants)()
    return {(f.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def _value(samples: dict, name: str, **labels) -> float | None:
    want = tuple(sorted(labels.items()))
    return next((v for (n, ls), v in samples.items() if n == name and set(want) <= set(ls)), None)


def test_the_apply_grants_the_monitoring_group_reader_on_the_tenant_domain(applied, admin_cloud):
    _tenants, conn = applied
    domain = conn.identity.find_domain(SLUG)
    group = conn.identity.find_group("dcctl-monitoring", domain_id="default")
    assignments = conn.identity.get(f"/role_assignments?group.id={group.id}&scope.domain.id={domain.id}"
                                    "&scope.OS-INHERIT:inherited_to=projects").json()["role_assignments"]
    assert [a["role"]["id"] for a in assignments] == [conn.identity.find_role("reader").id]


def test_the_reader_sees_each_projects_limits_and_use_in_yaml_units(applied):
    tenants, _conn = applied
    samples = _collect(tenants)
    where = {"tenant": SLUG, "project": SLUG}
    assert _value(samples, "dcctl_tenant_project_readable", **where) == 1
    assert _value(samples, "dcctl_tenant_quota_limit", **where, resource="cores") == 12
    assert _value(samples, "dcctl_tenant_quota_limit", **where, resource="ram_gb") == 48
    assert _value(samples, "dcctl_tenant_quota_limit", **where, resource="gigabytes") == 200
    assert _value(samples, "dcctl_tenant_quota_limit", **where, resource="networks") == 4
    # the two networks (and their subnets) dcctl created count against the quota
    assert _value(samples, "dcctl_tenant_quota_usage", **where, resource="networks") == 2
    assert _value(samples, "dcctl_tenant_quota_usage", **where, resource="subnets") == 2
    assert _value(samples, "dcctl_tenant_quota_usage", **where, resource="cores") == 0
    assert _value(samples, "dcctl_tenant_project_info", **where, phase="2", kind="ministry") == 1


def test_no_drift_after_apply_then_a_hand_made_quota_change_counts(applied):
    tenants, conn = applied
    assert _value(_collect(tenants), "dcctl_drift_items", kind="tenant") == 0
    project = conn.identity.find_project(SLUG, domain_id=conn.identity.find_domain(SLUG).id)
    conn.compute.put(f"/os-quota-sets/{project.id}", json={"quota_set": {"cores": 1}})
    conn.network.put(f"/quotas/{project.id}", json={"quota": {"network": 9}})
    try:
        samples = _collect(tenants)
        assert _value(samples, "dcctl_tenant_quota_limit", tenant=SLUG, resource="cores") == 1
        assert _value(samples, "dcctl_drift_items", kind="tenant") == 1  # one quota action for the project
    finally:
        conn.compute.put(f"/os-quota-sets/{project.id}", json={"quota_set": {"cores": 12}})
        conn.network.put(f"/quotas/{project.id}", json={"quota": {"network": 4}})


def test_a_project_the_reader_cannot_read_is_marked_and_drift_is_left_out(applied, tmp_path):
    """Without the monitoring grant the reader has no token for the project: say so, never guess."""
    tenants, conn = applied
    domain = conn.identity.find_domain(SLUG)
    group = conn.identity.find_group("dcctl-monitoring", domain_id="default")
    reader = conn.identity.find_role("reader")
    grant = f"/OS-INHERIT/domains/{domain.id}/groups/{group.id}/roles/{reader.id}/inherited_to_projects"
    conn.identity.delete(grant)
    try:
        samples = _collect(tenants)
        assert _value(samples, "dcctl_tenant_project_readable", tenant=SLUG, project=SLUG) == 0
        assert _value(samples, "dcctl_tenant_quota_limit", tenant=SLUG) is None
        assert _value(samples, "dcctl_drift_items", kind="tenant") is None
    finally:
        conn.identity.put(grant)


def test_the_labs_prometheus_stores_the_tenant_series(applied, lab):
    """End to end: `dcctl exporter serve` on the port the lab's Prometheus scrapes (job dcctl)."""
    from dcctl.lab import orchestrate
    from dcctl.lab.service import PORTS

    tenants, _conn = applied
    env = dict(os.environ)
    for line in orchestrate.env(lab):
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'")
    query = urllib.parse.quote(f'dcctl_tenant_quota_limit{{job="dcctl",tenant="{SLUG}",resource="cores"}}')
    with open(lab.paths.logs / "exporter-tenants-test.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dcctl", "exporter", "serve", "--listen", "127.0.0.1:9180",
                                 "--tenants", str(tenants), "--interval", "tenants=3"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            result, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline and not result:
                assert proc.poll() is None, (lab.paths.logs / "exporter-tenants-test.log").read_text()[-2000:]
                url = f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/query?query={query}"
                with urllib.request.urlopen(url, timeout=5) as answer:
                    result = json.loads(answer.read())["data"]["result"]
                time.sleep(1)
            assert result and float(result[0]["value"][1]) == 12.0
        finally:
            proc.terminate()
            proc.wait(10)
