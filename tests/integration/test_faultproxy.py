"""The fault proxy really sits between openstacksdk and the lab, and fails the share it is told to."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def faulty_cloud(lab, tmp_path, monkeypatch):
    """Yields (connect, plans): connect() opens cloud dcctl-lab-faulty; plans[service] tunes faults."""
    import openstack

    from faultproxy import FaultPlan, FaultProxy, clouds_yaml
    from dcctl.lab.service import PORTS

    base = yaml.safe_load(lab.paths.clouds_yaml.read_text())["clouds"]["dcctl-lab"]
    plans = {s: FaultPlan() for s in ("identity", "network", "compute", "volume")}
    upstream = {"identity": PORTS["keystone"], "network": PORTS["neutron"], "compute": PORTS["nova"],
                "volume": PORTS["cinder"]}
    proxies = {s: FaultProxy(f"http://127.0.0.1:{port}", plans[s]) for s, port in upstream.items()}
    for p in proxies.values():
        p.__enter__()
    try:
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": clouds_yaml(base, proxies)}))
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
        yield (lambda: openstack.connect(cloud="dcctl-lab-faulty", api_timeout=2), plans)
    finally:
        for p in proxies.values():
            p.__exit__(None, None, None)


def test_without_faults_every_service_answers_through_the_proxy(faulty_cloud):
    connect, plans = faulty_cloud
    conn = connect()
    project = conn.current_project_id
    list(conn.network.networks())
    conn.compute.get_quota_set(project)
    conn.block_storage.get_quota_set(project)
    assert all(plans[s].counts.get("requests", 0) >= 1 for s in plans)


def test_a_share_of_calls_fails_with_each_kind_of_fault(faulty_cloud):
    import openstack.exceptions
    from keystoneauth1 import exceptions as ka

    connect, plans = faulty_cloud
    conn = connect()
    list(conn.network.networks())  # authenticate and discover the API before faults start
    plans["network"].share, plans["network"].delay = 0.5, 2.2
    outcomes = {"ok": 0, "failed": 0}
    counts = plans["network"].counts
    for _ in range(60):  # bounded; stops once every kind of fault and a success were seen
        try:
            list(conn.network.networks())
            outcomes["ok"] += 1
        except (openstack.exceptions.HttpException, openstack.exceptions.SDKException, ka.ClientException):
            outcomes["failed"] += 1
        if outcomes["ok"] and all(counts.get(k) for k in ("503", "drop", "delay")):
            break
    assert outcomes["ok"] > 0 and outcomes["failed"] > 0, (outcomes, counts)
    assert counts.get("503", 0) and counts.get("drop", 0) and counts.get("delay", 0)
