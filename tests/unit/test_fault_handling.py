"""Which faults dcctl retries, and how reads are repeated: pure logic, no cloud."""

from __future__ import annotations

import pytest

from dcctl.core.cloud import is_transient, retrying_read


def test_lost_answers_and_busy_services_are_transient_and_refusals_are_not():
    import openstack.exceptions as sdk
    from keystoneauth1 import exceptions as ka

    assert is_transient(ka.ConnectTimeout("Request to http://x timed out"))
    assert is_transient(ka.ConnectFailure("connection reset"))
    assert is_transient(sdk.HttpException("busy", response=_answer(503)))
    assert is_transient(sdk.ServiceDiscoveryException("Failed to create a working proxy: No endpoint data found."))
    assert not is_transient(sdk.HttpException("conflict", response=_answer(409)))
    assert not is_transient(sdk.HttpException("bad request", response=_answer(400)))
    assert not is_transient(ValueError("a bug"))


def test_a_read_is_repeated_on_transient_faults_until_it_answers():
    from keystoneauth1 import exceptions as ka

    answers = [ka.ConnectTimeout("timed out"), ka.ConnectFailure("dropped"), {"networks": []}]

    def read():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retrying_read(read, backoff=0) == {"networks": []}
    assert answers == []


def test_a_read_gives_up_after_its_attempts_and_a_refusal_is_not_repeated():
    import openstack.exceptions as sdk
    from keystoneauth1 import exceptions as ka

    calls = []

    def always_down():
        calls.append(1)
        raise ka.ConnectFailure("down")

    with pytest.raises(ka.ConnectFailure):
        retrying_read(always_down, attempts=3, backoff=0)
    assert len(calls) == 3

    calls.clear()

    def forbidden():
        calls.append(1)
        raise sdk.HttpException("forbidden", response=_answer(403))

    with pytest.raises(sdk.HttpException):
        retrying_read(forbidden, backoff=0)
    assert len(calls) == 1


def _answer(status: int):
    import requests

    r = requests.Response()
    r.status_code = status
    r._content = b"{}"
    r.headers["content-type"] = "application/json"
    r.request = requests.Request("GET", "http://fake/").prepare()
    return r


# -- creates are made once over the attempts of an action ----------------------------------------

def _one_action(kind, key, payload):
    from dcctl.core.plan import Action, Op, Plan

    return Plan([Action(Op.CREATE, kind, key, key, payload=payload)])


def test_a_retried_create_refused_as_a_duplicate_finds_what_the_lost_attempt_made():
    """The first POST's answer was lost while Keystone was still making the project: the retry's
    lookup misses it, the second POST is refused (409), the second lookup finds it."""
    from test_tenant_apply import FakeConn

    from dcctl.tenants.apply import apply_tenant_plan

    conn = FakeConn(identity={
        ("POST", "/projects"): [(503, {"error": {"message": "gateway timeout"}}), (409, {"error": {"message": "dup"}})],
        ("GET", "/projects"): [(200, {"projects": []}), (200, {"projects": [{"id": "made-late"}]})],
    })
    report = apply_tenant_plan(conn, _one_action("project", "project:health",
                                                 {"body": {"name": "health", "domain_id": "d1"}}), backoff=0.001)
    assert report.ok and report.results[0].value == "made-late"
    assert [c[1] for c in conn.log if c[0] == "identity"] == ["POST", "GET", "POST", "GET"]


def test_a_router_already_on_the_subnet_after_a_lost_answer_is_found_not_failed():
    from test_tenant_apply import FakeConn

    from dcctl.tenants.apply import apply_tenant_plan

    port = {"id": "port-1", "fixed_ips": [{"subnet_id": "s1"}]}
    conn = FakeConn(network={
        ("PUT", "/routers/r1/add_router_interface"): [(503, {}), (400, {"NeutronError": {"message": "already"}})],
        ("GET", "/ports"): [(200, {"ports": []}), (200, {"ports": [port]})],
    })
    report = apply_tenant_plan(conn, _one_action("router-interface", "interface:health/apps",
                                                 {"router_id": "r1", "subnet_id": "s1"}), backoff=0.001)
    assert report.ok and report.results[0].value == "port-1"


def test_a_lost_rbac_share_is_looked_up_by_network_and_target_not_posted_twice():
    from test_tenant_apply import FakeConn

    from dcctl.tenants.apply import apply_tenant_plan

    conn = FakeConn(network={
        ("POST", "/rbac-policies"): [(503, {})],
        ("GET", "/rbac-policies"): [(200, {"rbac_policies": [{"id": "share-1"}]})],
    })
    body = {"object_type": "network", "object_id": "n1", "action": "access_as_shared", "target_tenant": "p2"}
    report = apply_tenant_plan(conn, _one_action("rbac-link", "link:p2->x/y", {"body": body}), backoff=0.001)
    assert report.ok and report.results[0].value == "share-1"
    assert [c[1] for c in conn.log if c[2] == "/rbac-policies"] == ["POST", "GET"]


def test_a_duplicate_refused_on_the_first_attempt_stays_an_error():
    from test_tenant_apply import FakeConn

    from dcctl.core.executor import Outcome
    from dcctl.tenants.apply import apply_tenant_plan

    conn = FakeConn(identity={("POST", "/projects"): [(409, {"error": {"message": "name taken"}})]})
    report = apply_tenant_plan(conn, _one_action("project", "project:health",
                                                 {"body": {"name": "health", "domain_id": "d1"}}), backoff=0.001)
    assert report.results[0].outcome is Outcome.FAILED and "name taken" in report.results[0].error
    assert [c[1] for c in conn.log] == ["POST"]  # not looked up: the plan saw no such project


def test_a_retried_quota_action_redoes_only_the_service_that_failed():
    from test_tenant_apply import FakeConn

    from dcctl.tenants.apply import apply_tenant_plan

    conn = FakeConn(block_storage={("PUT", "/os-quota-sets/p1"): [(503, {}), (200, {"quota_set": {}})]})
    payload = {"project_id": "p1", "tags": ["dcctl:managed"], "bodies": {
        "compute": {"cores": 8}, "volume": {"volumes": 4}, "network": {"network": 2}}}
    report = apply_tenant_plan(conn, _one_action("quota", "quota:health", payload), backoff=0.001)
    assert report.ok and report.results[0].attempts == 2
    writes = [(service, path) for service, method, path in conn.log if method != "GET"]
    assert writes == [("compute", "/os-quota-sets/p1"), ("block_storage", "/os-quota-sets/p1"),
                      ("block_storage", "/os-quota-sets/p1"), ("network", "/quotas/p1"), ("identity", "/projects/p1")]
