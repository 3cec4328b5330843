"""Writing the audit record of an action does not hold up the actions it unblocks."""

from __future__ import annotations

import time

from dcctl.core.executor import Outcome, apply_plan
from dcctl.core.plan import Action, Op, Plan


def act(key, deps=()):
    return Action(op=Op.CREATE, kind="thing", key=key, label=key, depends_on=tuple(deps))


def test_a_dependent_starts_while_the_record_of_its_dependency_is_written_and_records_keep_order():
    events = []

    class SlowRecorder:  # a slow disk: each record takes 0.2 s
        def record(self, result):
            events.append(("recording", result.action.key))
            time.sleep(0.2)
            events.append(("recorded", result.action.key))

    def perform(action, _):
        events.append(("start", action.key))

    report = apply_plan(Plan([act("a"), act("b", deps=["a"]), act("c", deps=["b"])]), perform,
                        recorder=SlowRecorder())
    assert [r.outcome for r in report.results] == [Outcome.DONE] * 3
    assert events.index(("start", "b")) < events.index(("recorded", "a"))
    assert [k for e, k in events if e == "recorded"] == ["a", "b", "c"]  # every record, in completion order


def test_a_failure_still_stops_new_work_before_its_record_is_written():
    started = []

    def perform(action, _):
        started.append(action.key)
        if action.key == "a":
            raise RuntimeError("refused")

    report = apply_plan(Plan([act("a"), act("b", deps=["a"]), act("c")]), perform, concurrency=1)
    assert started == ["a"]
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.SKIPPED, Outcome.SKIPPED]
