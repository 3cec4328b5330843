"""Alert rules and the Prometheus config pass promtool's checks and unit tests.

Here (not in tests/unit) because promtool comes with Debian's prometheus package,
which the lab fixture installs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"


@pytest.fixture(scope="module")
def promtool(lab):
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is missing although the lab installs Debian's prometheus package")
    return tool


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], cwd=MONITORING, capture_output=True, text=True)


def test_prometheus_config_is_valid(promtool):
    out = run(promtool, "check", "config", "--syntax-only", "prometheus.yml")
    assert out.returncode == 0, out.stdout + out.stderr


def test_alert_rules_are_valid(promtool):
    rules = sorted(str(p.relative_to(MONITORING)) for p in (MONITORING / "alerts").glob("*.rules.yml"))
    out = run(promtool, "check", "rules", *rules)
    assert out.returncode == 0, out.stdout + out.stderr
    import yaml

    count = sum(len(g["rules"]) for p in rules for g in yaml.safe_load((MONITORING / p).read_text())["groups"])
    assert count >= 16 and f"{count} rules found" in out.stdout  # promtool read every rule we wrote


def test_every_alert_has_a_unit_test_and_they_pass(promtool):
    import yaml

    tests = sorted((MONITORING / "alerts").glob("*.test.yml"))
    out = run(promtool, "test", "rules", *[str(t.relative_to(MONITORING)) for t in tests])
    assert out.returncode == 0, out.stdout + out.stderr
    alerts = {r["alert"] for p in (MONITORING / "alerts").glob("*.rules.yml")
              for g in yaml.safe_load(p.read_text())["groups"] for r in g["rules"] if "alert" in r}
    tested = {case["alertname"] for t in tests for group in yaml.safe_load(t.read_text())["tests"]
              for case in group.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert alerts == tested


def test_the_labs_prometheus_loaded_the_rules(lab):
    import json
    import urllib.request

    from dcctl.lab.service import PORTS

    with urllib.request.urlopen(f"http://127.0.0.1:{PORTS['prometheus']}/api/v1/rules", timeout=5) as r:
        groups = json.load(r)["data"]["groups"]
    names = {rule["name"] for g in groups for rule in g["rules"]}
    assert {"InletTemperatureHigh", "PsuFailed", "ExporterCollectorStale"} <= names
