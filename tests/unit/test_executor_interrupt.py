"""Ctrl-C during an apply: nothing new starts, nothing is retried, what was in flight finishes
and is recorded, the rest is recorded as not started, and the caller gets the report."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from dcctl.core.executor import ApplyInterrupted, Outcome, TransientError, apply_plan
from dcctl.core.plan import Action, Op, Plan


def act(key, deps=()):
    return Action(op=Op.CREATE, kind="thing", key=key, label=key, depends_on=tuple(deps))


class Seen:
    def __init__(self) -> None:
        self.records: list[tuple[str, Outcome, str]] = []

    def record(self, result) -> None:
        self.records.append((result.action.key, result.outcome, result.error))


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # delivered to the main thread, as a terminal's Ctrl-C is


def test_ctrl_c_lets_work_in_flight_finish_records_everything_and_raises_with_the_report():
    started = []
    lock = threading.Lock()

    def perform(action, _):
        with lock:
            started.append(action.key)
        if action.key == "t2":
            ctrl_c()
        time.sleep(0.3)  # in flight when Ctrl-C comes: must still finish
        return action.key

    plan = Plan([act(f"t{i}") for i in range(1, 11)])
    seen = Seen()
    with pytest.raises(ApplyInterrupted) as caught:
        apply_plan(plan, perform, concurrency=2, recorder=seen)
    report = caught.value.report
    assert isinstance(caught.value, KeyboardInterrupt)  # callers that know nothing of it still stop
    assert report.interrupted
    assert set(started) == {"t1", "t2"}  # nothing new started after Ctrl-C
    done = [r.action.key for r in report.by_outcome(Outcome.DONE)]
    assert sorted(done) == ["t1", "t2"]
    assert {r.error for r in report.by_outcome(Outcome.SKIPPED)} == {"apply interrupted"}
    assert sorted(k for k, _, _ in seen.records) == sorted(a.key for a in plan.actions)  # each once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_a_transient_fault_in_flight_is_not_retried_after_ctrl_c():
    calls = []

    def perform(action, _):
        calls.append(action.key)
        ctrl_c()
        time.sleep(0.05)
        raise TransientError("503 Service Unavailable")

    with pytest.raises(ApplyInterrupted) as caught:
        apply_plan(Plan([act("a"), act("b", deps=["a"])]), perform, attempts=7, backoff=5)
    results = {r.action.key: r for r in caught.value.report.results}
    assert calls == ["a"]  # one attempt, no 5 s backoff waited out
    assert results["a"].outcome is Outcome.FAILED
    assert results["a"].error == "not retried (interrupted): 503 Service Unavailable"
    assert results["b"].outcome is Outcome.SKIPPED


def test_an_apply_outside_the_main_thread_leaves_ctrl_c_alone():
    box = {}

    def worker():
        box["report"] = apply_plan(Plan([act("a")]), lambda a, r: None)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert box["report"].ok and not box["report"].interrupted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
