"""Apply against a fake cloud: retries on transient faults, a lookup before retrying a create,
hard errors stop the run, Neutron writes one at a time, and every outcome reaches the recorder."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from dcctl.core.executor import Outcome
from dcctl.core.plan import Action, Op, Plan
from dcctl.tenants.apply import apply_tenant_plan
from dcctl.tenants.plan import Ref

ROOT = Path(__file__).resolve().parents[2]


def response(status: int, body: dict | None = None, method: str = "GET", url: str = "http://fake/") -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body or {}).encode()
    r.headers["content-type"] = "application/json"
    r.url = url
    r.reason = {200: "OK", 201: "Created", 409: "Conflict", 503: "Service Unavailable"}.get(status, "")
    r.request = requests.Request(method, url).prepare()
    return r


class FakeService:
    """One API: records requests; ``script`` maps (method, path) to the answers to give in turn."""

    def __init__(self, name: str, log: list, script: dict | None = None) -> None:
        self.name, self.log, self.script = name, log, script or {}
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    def request(self, path, method, json=None, raise_exc=False):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(0.005)
            self.log.append((self.name, method, path.split("?")[0]))
            answers = self.script.get((method, path.split("?")[0]))
            if answers:
                status, body = answers.pop(0) if len(answers) > 1 else answers[0]
                return response(status, body, method)
            key = path.strip("/").split("/")[0].rstrip("s").replace("-", "_")
            return response(201 if method == "POST" else 200, {key: {"id": f"{key}-id"}}, method)
        finally:
            with self.lock:
                self.in_flight -= 1

    def get(self, path, raise_exc=False):
        return self.request(path, "GET")


class FakeConn:
    def __init__(self, **scripts) -> None:
        self.log: list = []
        for name in ("identity", "network", "compute", "block_storage"):
            setattr(self, name, FakeService(name, self.log, scripts.get(name)))


def test_a_create_whose_answer_was_lost_is_looked_up_not_made_twice():
    conn = FakeConn(network={
        ("POST", "/networks"): [(503, {"NeutronError": {"message": "try again"}})],
        ("GET", "/networks"): [(200, {"networks": [{"id": "made-anyway"}]})],
    })
    plan = Plan([Action(Op.CREATE, "network", "network:health/apps", "health-apps",
                        payload={"body": {"name": "health-apps", "project_id": "p1", "description": "x"}})])
    report = apply_tenant_plan(conn, plan, backoff=0.01)
    assert report.ok
    assert report.results[0].value == "made-anyway" and report.results[0].attempts == 2
    assert [c for c in conn.log if c[1] == "POST"] == [("network", "POST", "/networks")]  # one create only


def test_a_hard_error_stops_the_run_and_dependants_are_not_started():
    conn = FakeConn(identity={("POST", "/projects"): [(409, {"error": {"message": "name taken"}})]})
    plan = Plan([
        Action(Op.CREATE, "project", "project:health", "health",
               payload={"body": {"name": "health", "domain_id": "d1"}}),
        Action(Op.CREATE, "network", "network:health/apps", "health-apps", depends_on=("project:health",),
               payload={"body": {"name": "health-apps", "project_id": Ref("project:health")}}),
    ])
    report = apply_tenant_plan(conn, plan, backoff=0.01)
    assert not report.ok
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.SKIPPED]
    assert "name taken" in report.results[0].error and report.results[0].attempts == 1
    assert not [c for c in conn.log if c[0] == "network"]


def test_later_actions_get_the_ids_earlier_ones_returned():
    conn = FakeConn()
    plan = Plan([
        Action(Op.CREATE, "network", "network:a", "a", payload={"body": {"name": "a", "project_id": "p"}}),
        Action(Op.CREATE, "subnet", "subnet:a", "a", depends_on=("network:a",),
               payload={"body": {"name": "a", "network_id": Ref("network:a"), "cidr": "10.0.0.0/24"}}),
    ])
    assert apply_tenant_plan(conn, plan).ok


def test_neutron_writes_run_one_at_a_time_while_others_run_in_parallel():
    conn = FakeConn()
    actions = []
    for i in range(12):
        actions.append(Action(Op.CREATE, "network", f"network:{i}", str(i),
                              payload={"body": {"name": f"n{i}", "project_id": "p"}}))
        actions.append(Action(Op.CREATE, "group", f"group:{i}", str(i),
                              payload={"body": {"name": f"g{i}", "domain_id": "d"}}))
    assert apply_tenant_plan(conn, Plan(actions), concurrency=6, network_concurrency=1).ok
    assert conn.network.peak == 1
    assert conn.identity.peak > 1


def test_every_outcome_reaches_the_recorder_failures_too():
    conn = FakeConn(identity={("POST", "/groups"): [(409, {"error": {"message": "no"}})]})
    seen = []

    class Collect:
        def record(self, result):
            seen.append(result)

    plan = Plan([Action(Op.CREATE, "group", "group:x", "x", payload={"body": {"name": "x", "domain_id": "d"}})])
    apply_tenant_plan(conn, plan, recorder=Collect())
    assert [(r.action.key, r.outcome, r.attempts) for r in seen] == [("group:x", Outcome.FAILED, 1)]
    assert "no" in seen[0].error


def test_an_unreachable_cloud_is_a_service_failure_exit_3(tmp_path):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds:\n  nowhere:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n"
                      "      username: u\n      password: p\n      project_name: p\n"
                      "      user_domain_name: Default\n      project_domain_name: Default\n"
                      "    identity_api_version: 3\n")
    out = subprocess.run([sys.executable, "-m", "dcctl", "--os-cloud", "nowhere", "tenant", "plan"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={"OS_CLIENT_CONFIG_FILE": str(clouds), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 3, out.stderr
    assert "error: cannot authenticate to the cloud" in out.stderr
    assert "Traceback" not in out.stderr
