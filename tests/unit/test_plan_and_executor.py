"""Plans print like Terraform's; the executor respects dependencies, bounds, retries and stops."""

from __future__ import annotations

import threading
import time

from dcctl.core.executor import Outcome, TransientError, apply_plan
from dcctl.core.plan import Action, Change, Op, Plan, diff_fields


def act(key, op=Op.CREATE, deps=(), changes=()):
    return Action(op=op, kind="thing", key=key, label=key, depends_on=tuple(deps), changes=tuple(changes))


def test_plan_text_shows_symbols_fields_and_a_summary():
    plan = Plan([act("a", changes=[Change("size", None, 3)]),
                 act("b", Op.UPDATE, changes=[Change("cores", 10, 20)]),
                 act("c", Op.DELETE)])
    text = plan.render()
    assert text.splitlines() == ["+ thing a", "    size: 3", "~ thing b", "    cores: 10 -> 20",
                                 "- thing c", "Plan: 1 to create, 1 to change, 1 to delete."]
    assert "\x1b[" in plan.render(colour=True)
    assert plan.as_dict()["counts"] == {"create": 1, "update": 1, "delete": 1}


def test_an_empty_plan_says_there_is_nothing_to_do():
    assert Plan().summary() == "No changes. The cloud matches the desired state."


def test_diff_fields_reports_only_what_differs_and_ignores_undesired_fields():
    assert diff_fields({"a": 1, "b": 2, "x": 9}, {"a": 1, "b": 3}) == (Change("b", 2, 3),)


def test_actions_run_after_their_dependencies_and_see_their_results():
    order = []

    def perform(action, results):
        order.append(action.key)
        if action.key == "subnet":
            assert results["network"] == "net-id"
        return {"network": "net-id"}.get(action.key, action.key)

    report = apply_plan(Plan([act("subnet", deps=["network"]), act("network")]), perform)
    assert report.ok and order == ["network", "subnet"]


def test_concurrency_is_bounded():
    live, peak, lock = [0], [0], threading.Lock()

    def perform(action, _):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.02)
        with lock:
            live[0] -= 1

    report = apply_plan(Plan([act(str(i)) for i in range(12)]), perform, concurrency=3)
    assert report.ok and peak[0] == 3


def test_transient_faults_are_retried_and_hard_errors_are_not():
    calls = {"flaky": 0, "broken": 0}

    def perform(action, _):
        calls[action.key] += 1
        if action.key == "flaky" and calls["flaky"] < 3:
            raise TransientError("503")
        if action.key == "broken":
            raise ValueError("409 conflict")

    report = apply_plan(Plan([act("flaky"), act("broken", deps=["flaky"])]), perform, backoff=0.001)
    assert calls == {"flaky": 3, "broken": 1}
    assert [r.outcome for r in report.results] == [Outcome.DONE, Outcome.FAILED]
    assert report.results[1].error == "409 conflict"


def test_a_hard_error_stops_new_work_and_skips_dependents():
    def perform(action, _):
        if action.key == "a":
            raise RuntimeError("boom")

    plan = Plan([act("a"), act("b", deps=["a"]), act("c", deps=["b"])])
    report = apply_plan(plan, perform, concurrency=1)
    assert [(r.action.key, r.outcome) for r in report.results] == [
        ("a", Outcome.FAILED), ("b", Outcome.SKIPPED), ("c", Outcome.SKIPPED)]
    assert report.summary() == "Apply: 0 done, 1 failed, 2 not started."


def test_every_outcome_reaches_the_recorder():
    seen = []

    class Recorder:
        def record(self, result):
            seen.append((result.action.key, result.outcome))

    apply_plan(Plan([act("a"), act("b", deps=["a"])]), lambda a, r: None, recorder=Recorder())
    assert seen == [("a", Outcome.DONE), ("b", Outcome.DONE)]
