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
