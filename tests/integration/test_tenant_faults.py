"""`dcctl tenant apply` of every sample tenant through a flaky API converges to exactly the requests.

The samples are applied under the prefix ``flt-`` (tests/tenantcopies.py) so that
other tests applying the real samples on the shared lab are not disturbed. The
apply runs as a real command line against fault proxies in front of Keystone,
Neutron, Nova and Cinder that fail >= 10 % of calls (503, a dropped connection, or
an answer held back beyond the client's timeout after the service acted on the
request). Then, without faults: a re-run converges, a plan is a no-op, and a census
of the cloud finds every object the requests ask for exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tenantcopies import (INVENTORY, census, desired_census, destroy_prefixed, differences,  # noqa: E402
                          duplicates, ensure_external_network, load_copies, write_copies)

PREFIX = "flt-"
DCCTL = Path(sys.executable).parent / "dcctl"
SHARE = 0.12  # of every call, on every service: >= 10 %
CLIENT_TIMEOUT = 4.0  # seconds (clouds.yaml api_timeout of the faulty cloud)
HELD_BACK = 5.0  # a "delay" answer comes after the client gave up; the service already acted


@pytest.fixture(scope="module")
def copies(lab, tmp_path_factory):
    """The samples as ``flt-*`` requests; their tenants are destroyed before and after."""
    from dcctl.core.cloud import connect
    from dcctl.lab import process

    if any(process.pid_of(lab.paths, n) is None for n in ("keystone", "neutron", "nova", "cinder")):
        pytest.skip("keystone, neutron, nova and cinder must run for the tenant fault tests")
    directory = write_copies(tmp_path_factory.mktemp("tenants") / "tenants", PREFIX)
    tenants = load_copies(directory)
    conn = connect("dcctl-lab")
    destroy_prefixed(conn, PREFIX)  # leftovers of an interrupted run
    made_external = ensure_external_network(conn)
    try:
        yield {"dir": directory, "tenants": tenants, "conn": conn}
    finally:
        destroy_prefixed(conn, PREFIX)
        if made_external:
            conn.network.delete(f"/networks/{made_external}")
        conn.close()


@pytest.fixture
def faulty(lab, tmp_path):
    """Fault proxies before every API; yields (env for the command line, the fault plans)."""
    from faultproxy import FaultPlan, FaultProxy, clouds_yaml

    from dcctl.lab.service import PORTS

    clouds = yaml.safe_load(lab.paths.clouds_yaml.read_text())["clouds"]
    upstream = {"identity": PORTS["keystone"], "network": PORTS["neutron"], "compute": PORTS["nova"],
                "volume": PORTS["cinder"]}
    plans = {s: FaultPlan(share=0.0, delay=HELD_BACK, seed=11 + i) for i, s in enumerate(upstream)}
    proxies = {s: FaultProxy(f"http://127.0.0.1:{port}", plans[s]) for s, port in upstream.items()}
    for proxy in proxies.values():
        proxy.__enter__()
    try:
        faulty_cloud = clouds_yaml(clouds["dcctl-lab"], proxies)
        faulty_cloud["dcctl-lab-faulty"]["api_timeout"] = CLIENT_TIMEOUT
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": {**clouds, **faulty_cloud}}))
        env = os.environ | {"OS_CLIENT_CONFIG_FILE": str(path), "DCCTL_STATE_DIR": str(tmp_path / "state"),
                            "DCCTL_STATE_URL": f"sqlite:///{tmp_path / 'state' / 'audit.sqlite'}"}
        yield env, plans
    finally:
        for proxy in proxies.values():
            proxy.__exit__(None, None, None)


def _dcctl(env: dict, cloud: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    argv = [str(DCCTL), "--inventory", str(INVENTORY), "--os-cloud", cloud, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


def test_apply_through_faults_then_a_clean_rerun_gives_exactly_the_requested_objects(copies, faulty):
    env, plans = faulty
    directory = str(copies["dir"])
    for plan in plans.values():
        plan.share = SHARE

    flaky = _dcctl(env, "dcctl-lab-faulty", "--json", "tenant", "apply", "--tenants", directory, "--yes")

    for plan in plans.values():
        plan.share = 0.0
    injected = {s: {k: n for k, n in p.counts.items()} for s, p in plans.items()}
    requests = sum(p.counts.get("requests", 0) for p in plans.values())
    faults = sum(p.counts.get(k, 0) for p in plans.values() for k in ("503", "drop", "delay"))
    print(f"faulty apply: exit {flaky.returncode}, {faults} faults in {requests} requests: {injected}")
    assert faults >= 0.08 * requests and requests > 100, injected  # the share drawn, give or take chance
    # it either finished or stopped with a clear report, never a traceback
    assert flaky.returncode in (0, 3), flaky.stdout[-2000:] + flaky.stderr[-3000:]
    assert "Traceback" not in flaky.stderr, flaky.stderr[-3000:]
    report = json.loads(flaky.stdout) if flaky.stdout.strip().startswith("{") else {}
    if flaky.returncode == 3:
        failed = [r for r in report.get("results", []) if r["outcome"] == "failed"]
        assert failed or "error:" in flaky.stderr, flaky.stdout[-2000:] + flaky.stderr[-2000:]
    retried = [r for r in report.get("results", []) if r["attempts"] > 1]
    print(f"actions retried: {len(retried)}, outcome: {report.get('summary') or flaky.stderr.strip()[-300:]}")

    clean = _dcctl(env, "dcctl-lab", "--json", "tenant", "apply", "--tenants", directory, "--yes")
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    again = _dcctl(env, "dcctl-lab", "--json", "tenant", "plan", "--tenants", directory, "--refresh")
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["actions"] == [], again.stdout[-3000:]

    from dcctl.tenants.snapshot import read_snapshot

    conn = copies["conn"]
    want = desired_census(copies["tenants"], read_snapshot(conn), PREFIX)
    have = census(conn, PREFIX)
    assert duplicates(have) == {}
    assert differences(want, have) == {}
    assert {k: sum(c.values()) for k, c in have.items()} == {k: sum(c.values()) for k, c in want.items()}
