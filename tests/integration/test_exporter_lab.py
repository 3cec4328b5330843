"""The exporter against the lab: a real scrape passes promtool, and the lab's Prometheus stores it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LISTEN = "127.0.0.1:9180"  # the port monitoring/prometheus.yml scrapes as job "dcctl"


def _get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def exporter(lab):
    from dcctl.lab import process

    if process.pid_of(lab.paths, "keystone") is None:
        pytest.skip("keystone is not part of this lab session")
    from dcctl.lab import orchestrate

    env = dict(os.environ)
    for line in orchestrate.env(lab):  # clouds.yaml, the reader cloud, BMC credentials and CA
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'")
    env.setdefault("DCCTL_BMC_CA", str(lab.paths.root / "tls" / "ca.pem"))
    log = open(lab.paths.logs / "exporter-test.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "dcctl", "exporter", "serve", "--listen", LISTEN,
                             "--interval", "inventory=5", "--interval", "openstack_api=5",
                             "--interval", "hardware=3", "--interval", "baremetal=5", "--interval", "tenants=5"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = 'dcctl_openstack_api_up{interface="public",region="RegionOne",service="keystone",type="identity"} 1.0'
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until a full round has read the catalog as the reader
            try:
                if ready in _get(f"http://{LISTEN}/metrics"):
                    break
            except OSError:
                pass
            assert proc.poll() is None, (lab.paths.logs / "exporter-test.log").read_text()[-2000:]
            time.sleep(0.3)
        else:
            pytest.fail("the exporter did not report Keystone up within 60 s")
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_a_real_scrape_passes_promtool_check_metrics(exporter):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool comes with Debian's prometheus package, which the lab installs")
    text = _get(f"http://{LISTEN}/metrics")
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_api_health_covers_every_lab_service_as_the_reader(exporter):
    wanted = [f'dcctl_openstack_api_up{{interface="public",region="RegionOne",service="{service}"'
              for service in ("keystone", "neutron", "nova", "cinderv3", "ironic")]
    deadline = time.monotonic() + 30  # a loaded lab may fail one round; the next one counts
    while True:
        text = _get(f"http://{LISTEN}/metrics")
        missing = [w for w in wanted if w not in text]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not missing, missing


def test_the_labs_prometheus_scrapes_the_exporter(exporter, lab):
    from dcctl.lab.service import PORTS

    query = urllib.parse.quote('dcctl_inventory_racks{job="dcctl",site="bgw-dc1"}')
    deadline = time.monotonic() + 40
    result = []
    while time.monotonic() < deadline:
        data = json.loads(_get(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/query?query={query}"))
        result = data["data"]["result"]
        if result:
            break
        time.sleep(1)
    assert result and float(result[0]["value"][1]) == 4.0


def test_baremetal_collector_reports_states_maintenance_and_errors(lab, admin_cloud, exporter):
    """One node in maintenance: counted by state, flagged, and stored by the lab's Prometheus."""
    from dcctl.lab.services.ironic import node_fields
    from dcctl.monitoring.collectors.baremetal import collect_baremetal

    fields = node_fields(lab, "bsr-cmp02")
    fields.pop("ports")
    fields["name"] = "exporter-probe-node"  # not an inventory name: no clash with the rack tests
    for old in admin_cloud.baremetal.nodes(details=False):
        if old.name == fields["name"]:
            admin_cloud.baremetal.delete_node(old.id)
    node = admin_cloud.baremetal.create_node(**fields)
    try:
        admin_cloud.baremetal.set_node_maintenance(node, reason="exporter test")
        families = {f.name: f for f in collect_baremetal("dcctl-lab-reader", ROOT / "inventory")}
        states = {tuple(s.labels.values()): s.value for s in families["dcctl_baremetal_nodes"].samples}
        assert states.get(("enroll", "none"), 0) + states.get(("enroll", "power off"), 0) >= 1
        maint = {s.labels["node"]: s.value for s in families["dcctl_baremetal_node_maintenance"].samples}
        assert maint["exporter-probe-node"] == 1
        (drift,) = families["dcctl_drift_items"].samples  # the probe node is not in the inventory
        assert drift.labels == {"kind": "baremetal"} and drift.value >= 1
        assert _prometheus_value('dcctl_baremetal_node_maintenance{job="dcctl",node="exporter-probe-node"}') == 1
    finally:
        admin_cloud.baremetal.delete_node(node.id)


def _prometheus_value(query: str, timeout: float = 40) -> float | None:
    """The first value the lab's Prometheus returns for ``query``, waiting for a scrape to store it."""
    from dcctl.lab.service import PORTS

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = json.loads(_get(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/query?query="
                               + urllib.parse.quote(query)))
        if data["data"]["result"]:
            return float(data["data"]["result"][0]["value"][1])
        time.sleep(1)
    return None


def _alerts(name: str) -> list[dict]:
    from dcctl.lab.service import PORTS

    data = json.loads(_get(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/alerts"))
    return [a for a in data["data"]["alerts"] if a["labels"].get("alertname") == name]


def test_hardware_readings_reach_prometheus(exporter):
    text = _get(f"http://{LISTEN}/metrics")
    assert 'dcctl_bmc_up{device="bgw-cmp01",rack="bgw-a02",site="bgw-dc1"} 1.0' in text
    assert 'dcctl_hardware_temperature_celsius{device="bgw-cmp01",rack="bgw-a02",sensor="System Board Inlet Temp"' in text


def test_a_hot_inlet_fires_the_alert_in_prometheus(exporter, lab):
    """The lab runs the real rules with `for:` cut to 10 s (see dcctl/lab/services/prometheus.py)."""
    from dcctl.lab.services.bmc import reset_sensors, set_sensors

    set_sensors(lab, "bgw-cmp01", {"temperatures": {"inlet": {"reading": 45}}})
    try:
        deadline = time.monotonic() + 90
        firing = []
        while time.monotonic() < deadline:
            firing = [a for a in _alerts("InletTemperatureHigh")
                      if a["labels"].get("device") == "bgw-cmp01" and a["state"] == "firing"]
            if firing:
                break
            time.sleep(2)
        assert firing, _alerts("InletTemperatureHigh")
        assert firing[0]["labels"]["severity"] == "critical"
        assert "45" in firing[0]["annotations"]["summary"]
    finally:
        reset_sensors(lab, "bgw-cmp01")


def test_every_dashboard_query_parses_in_prometheus_and_uses_exported_metrics(exporter):
    import re

    from dcctl.lab.service import PORTS

    deadline = time.monotonic() + 60  # the tenants collector's first round may be the last to end
    while "# TYPE dcctl_tenant_quota_limit" not in _get(f"http://{LISTEN}/metrics") and time.monotonic() < deadline:
        time.sleep(1)
    exported = set(re.findall(r"^# TYPE (\S+)", _get(f"http://{LISTEN}/metrics"), flags=re.M))
    exported |= {f"{name}_total" for name in exported}
    for board in sorted((ROOT / "monitoring" / "dashboards").glob("*.json")):
        for p in json.loads(board.read_text())["panels"]:
            expr = p["targets"][0]["expr"]
            answer = json.loads(_get(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/query?query="
                                     + urllib.parse.quote(expr)))
            assert answer["status"] == "success", (board.name, p["title"], answer)
            for name in re.findall(r"\bdcctl_[a-z_]+", expr):
                assert name in exported, f"{board.name}: panel '{p['title']}' uses {name}, which is not exported"
