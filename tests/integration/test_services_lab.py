"""E-service probes against real HTTP(S) servers started here on loopback: one up, one answering
500, one slower than its timeout, one slow but in time, one whose certificate expires in three
days. `dcctl service check`, the exporter's collector and the lab's Prometheus alerts each see
every state.

The lab's Prometheus scrapes exporters listed in ``targets/dcctl.yml`` (job ``dcctl-extra``,
file_sd): the test serves an exporter holding only the services collector on a free port,
lists it there, and takes it out afterwards. If the running lab's copy of
``prometheus.yml`` or the rules is older than the checkout, it is refreshed and Prometheus
reloaded (POST /-/reload), which keeps the state of unchanged alert rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from httpservers import Answer, TestCA, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

TENANT = """\
slug: svctest-ministry
name: {en: Ministry of Service Tests, ar: وزارة اختبار الخدمات}
kind: ministry
phase: 1
sites: [bgw-dc1]
classification: internal
contacts: [{name: Probe tests, email: probes@dcctl.test}]
services:
"""

# slug -> (criticality, answer, TLS certificate days (None: plain http), timeout)
CASES = {
    "svctest-up": ("critical", Answer(200, "Certificate verification OK"), None, 3.0),
    "svctest-error": ("critical", Answer(500, "internal error"), None, 3.0),
    "svctest-timeout": ("high", Answer(200, "too late", delay=8.0), None, 1.0),
    "svctest-slow": ("medium", Answer(200, "slow but served", delay=2.5), None, 6.0),
    "svctest-expiring": ("high", Answer(200, "Receipts"), 3, 3.0),
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Real servers for every case, and a tenants directory cataloguing them; yields that directory."""
    base = tmp_path_factory.mktemp("services")
    ca = TestCA(base / "ca")
    tenants = base / "tenants"
    tenants.mkdir()
    shutil.copy(ROOT / "tenants" / "_policy.yaml", tenants)
    text = TENANT
    with ExitStack() as stack:
        for slug, (criticality, answer, days, timeout) in CASES.items():
            cert = ca.issue(slug, "127.0.0.1", days=days) if days is not None else None
            running = stack.enter_context(serve(answer, cert=cert))
            text += (f"  - slug: {slug}\n    name: {{en: {slug} service, ar: خدمة اختبار}}\n"
                     f"    category: certificates\n    criticality: {criticality}\n"
                     f"    endpoints: [{running.url}]\n    timeout: {timeout}\n"
                     + ("    ca_bundle: ../ca/ca.pem\n" if cert else ""))
        (tenants / "svctest-ministry.yaml").write_text(text)
        yield tenants


def check(tenants: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DCCTL_SERVICES_CA"}
    return subprocess.run([sys.executable, "-m", "dcctl", "service", "check", "--tenants", str(tenants), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)


def test_service_check_sees_each_state_and_exits_3_for_a_critical_service_down(catalogue):
    started = time.monotonic()
    out = check(catalogue, "--json")
    took = time.monotonic() - started
    assert out.returncode == 3, out.stdout + out.stderr
    report = {s["service"]: s for s in json.loads(out.stdout)["services"]}
    assert report["svctest-up"]["up"] and report["svctest-up"]["endpoints"][0]["status"] == 200
    error = report["svctest-error"]["endpoints"][0]
    assert not report["svctest-error"]["up"] and error["status"] == 500 and error["error"] == "HTTP 500, expected 200"
    late = report["svctest-timeout"]["endpoints"][0]
    assert not report["svctest-timeout"]["up"] and late["error"] == "no answer within 1 s" and late["status"] is None
    assert report["svctest-slow"]["up"] and report["svctest-slow"]["seconds"] >= 2.5
    expiring = report["svctest-expiring"]
    assert expiring["up"] and 2.9 < expiring["cert_days_left"] <= 3.0
    assert took < 8, "probes run concurrently: the slowest answer (2.5 s), not the sum"


def test_service_check_names_the_critical_services_down_for_people(catalogue):
    out = check(catalogue)
    assert out.returncode == 3
    assert "svctest-error" in out.stderr and "svctest-timeout" not in out.stderr  # high, not critical
    assert "3 up, 2 down (1 critical)" in out.stdout


def test_a_certificate_from_an_unknown_ca_is_down_with_its_expiry_still_read(catalogue, tmp_path):
    untrusted = tmp_path / "tenants"
    shutil.copytree(catalogue, untrusted)
    path = untrusted / "svctest-ministry.yaml"
    path.write_text(path.read_text().replace("    ca_bundle: ../ca/ca.pem\n", ""))
    out = check(untrusted, "--json", "--service", "svctest-expiring")
    (result,) = json.loads(out.stdout)["services"]
    assert out.returncode == 0  # down, but not critical
    assert not result["up"] and result["endpoints"][0]["error"].startswith("TLS certificate not trusted")
    assert 2.9 < result["cert_days_left"] <= 3.0


def test_service_list_shows_the_catalogue_without_probing(catalogue):
    out = subprocess.run([sys.executable, "-m", "dcctl", "service", "list", "--tenants", str(catalogue), "--json",
                          "--category", "certificates"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = {s["service"]: s for s in json.loads(out.stdout)}
    assert set(listed) == set(CASES)
    assert listed["svctest-expiring"]["protocol"] == "https" and listed["svctest-up"]["criticality"] == "critical"


def test_an_unknown_tenant_filter_is_a_usage_error_with_a_suggestion(catalogue):
    out = check(catalogue, "--tenant", "svctest-ministy")
    assert out.returncode == 1
    assert "no tenant with services 'svctest-ministy'" in out.stderr and "svctest-ministry" in out.stderr


def samples(families, name: str) -> dict[str, float]:
    family = next(f for f in families if f.name == name)
    return {s.labels["service"]: s.value for s in family.samples}


def test_the_collector_publishes_each_state(catalogue):
    from prometheus_client import CollectorRegistry, generate_latest

    from dcctl.monitoring.collectors.services import collect_services
    from dcctl.monitoring.exporter import CollectorSpec, Exporter

    families = collect_services(catalogue)
    up = samples(families, "dcctl_service_up")
    assert up == {"svctest-up": 1, "svctest-error": 0, "svctest-timeout": 0, "svctest-slow": 1,
                  "svctest-expiring": 1}
    status = samples(families, "dcctl_service_http_status")
    assert status == {"svctest-up": 200, "svctest-error": 500, "svctest-slow": 200, "svctest-expiring": 200}
    seconds = samples(families, "dcctl_service_probe_duration_seconds")
    assert seconds["svctest-slow"] >= 2.5 and 1.0 <= seconds["svctest-timeout"] < 2.5 and seconds["svctest-up"] < 1
    expiry = samples(families, "dcctl_service_certificate_expiry_timestamp_seconds")
    assert list(expiry) == ["svctest-expiring"] and 2.9 < (expiry["svctest-expiring"] - time.time()) / 86400 <= 3

    promtool = shutil.which("promtool")
    if promtool:
        exporter = Exporter([CollectorSpec("services", 60, lambda: families)])
        exporter.run_once("services")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(exporter)
        checked = subprocess.run([promtool, "check", "metrics"], input=generate_latest(registry).decode(),
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


# -- the alerts, in the lab's Prometheus ------------------------------------------------------------------

def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _sync_lab_prometheus(lab) -> None:
    """The running Prometheus gets this checkout's config and rules (reloaded only if they changed)."""
    from dcctl.lab.service import PORTS
    from dcctl.lab.services.prometheus import Prometheus

    prometheus = Prometheus()
    folder = prometheus.config_dir(lab)
    files = lambda: {p: p.read_bytes() for p in folder.rglob("*.yml")}  # noqa: E731
    before = files()
    prometheus.prepare(lab)
    if files() != before:
        request = urllib.request.Request(f"http://127.0.0.1:{PORTS['prometheus']}/-/reload", method="POST")
        urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(scope="module")
def scraped_exporter(lab, catalogue):
    """An exporter with only the services collector, on a free port, scraped by the lab's Prometheus."""
    from prometheus_client import CollectorRegistry, start_http_server

    from dcctl.lab import process
    from dcctl.monitoring.collectors.services import collect_services
    from dcctl.monitoring.exporter import CollectorSpec, Exporter

    if process.pid_of(lab.paths, "prometheus") is None:
        pytest.skip("prometheus is not part of this lab session")
    _sync_lab_prometheus(lab)
    exporter = Exporter([CollectorSpec("services", 3, partial(collect_services, catalogue))])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(exporter)
    exporter.start()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    target = f"127.0.0.1:{server.server_port}"
    targets = lab.paths.etc("prometheus") / "targets" / "dcctl.yml"
    _edit_targets(targets, add=target)
    try:
        yield target
    finally:
        _edit_targets(targets, remove=target)
        server.shutdown()
        exporter.stop()


def _edit_targets(path: Path, add: str | None = None, remove: str | None = None) -> None:
    groups = (yaml.safe_load(path.read_text()) if path.exists() else None) or []
    groups = [g for g in groups if remove not in g.get("targets", [])]
    if add:
        groups.append({"targets": [add], "labels": {"source": "dcctl-test-services"}})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(groups))
    os.replace(tmp, path)  # Prometheus never reads a half-written list


def _firing(name: str) -> dict[str, dict]:
    from dcctl.lab.service import PORTS

    alerts = _get(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/alerts")["data"]["alerts"]
    return {a["labels"]["service"]: a for a in alerts
            if a["labels"].get("alertname") == name and a["state"] == "firing"
            and a["labels"].get("service", "").startswith("svctest-")}


def test_the_alerts_fire_in_the_labs_prometheus(scraped_exporter):
    """The lab runs the real rules with `for:` cut to 10 s (dcctl/lab/services/prometheus.py)."""
    wanted = {"EServiceDown": {"svctest-error", "svctest-timeout"}, "EServiceSlow": {"svctest-slow"},
              "EServiceCertificateExpiring": {"svctest-expiring"}}
    deadline = time.monotonic() + 120
    firing: dict[str, dict] = {}
    while time.monotonic() < deadline:
        firing = {name: _firing(name) for name in wanted}
        if all(set(firing[name]) == services for name, services in wanted.items()):
            break
        time.sleep(2)
    assert {name: set(found) for name, found in firing.items()} == wanted
    down = firing["EServiceDown"]
    assert down["svctest-error"]["labels"]["severity"] == "critical"  # a critical service
    assert down["svctest-timeout"]["labels"]["severity"] == "warning"  # a high one
    assert "svctest-error of svctest-ministry is down" in down["svctest-error"]["annotations"]["summary"]
    summary = firing["EServiceCertificateExpiring"]["svctest-expiring"]["annotations"]["summary"]
    assert "has 3 day(s) left" in summary
