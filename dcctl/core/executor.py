"""Apply a plan: dependency order, bounded concurrency, retries on transient faults, a record.

The executor knows nothing about OpenStack: the room passes ``perform(action,
results)`` which does the one write, and the executor schedules it once every
action it depends on succeeded. On the first hard error nothing new starts; what
is running finishes; the report says what was done, failed and skipped, so a
re-run (which re-plans from live state) converges.

Every outcome goes to the ``recorder`` (one call per action, in completion order):
that is where the audit log hooks in. What a finished action unblocks is started
before its record is written, so writing the audit log overlaps the API calls.

Ctrl-C (SIGINT, when the apply runs in the main thread) stops the run the same way:
nothing new starts, no retry is made, the calls in flight finish and are recorded,
what never started is recorded as skipped, and ``ApplyInterrupted`` (a
``KeyboardInterrupt`` carrying the report) is raised. A second Ctrl-C raises
``KeyboardInterrupt`` at once, without waiting to record the calls in flight.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from dcctl.core.plan import Action, Plan


class Outcome(str, Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # not started: a dependency failed or the run stopped


@dataclass
class ActionResult:
    action: Action
    outcome: Outcome
    value: Any = None
    error: str = ""
    seconds: float = 0.0
    attempts: int = 0


@dataclass
class ApplyReport:
    results: list[ActionResult] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)

    def by_outcome(self, outcome: Outcome) -> list[ActionResult]:
        return [r for r in self.results if r.outcome is outcome]

    def summary(self) -> str:
        done, failed, skipped = (len(self.by_outcome(o)) for o in Outcome)
        return f"Apply: {done} done, {failed} failed, {skipped} not started."


class Recorder(Protocol):
    def record(self, result: ActionResult) -> None: ...


class NullRecorder:
    def record(self, result: ActionResult) -> None:
        pass


class TransientError(Exception):
    """Raised by ``perform`` (or classified by ``is_transient``) for faults worth retrying."""


class ApplyInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped an apply after the calls in flight finished; ``report`` says what was done."""

    def __init__(self, report: ApplyReport) -> None:
        super().__init__("apply interrupted")
        self.report = report


def apply_plan(plan: Plan, perform: Callable[[Action, dict[str, Any]], Any], *, concurrency: int = 8,
               is_transient: Callable[[BaseException], bool] = lambda e: isinstance(e, TransientError),
               attempts: int = 4, backoff: float = 0.5, recorder: Recorder | None = None,
               on_progress: Callable[[ActionResult], None] | None = None,
               keep_going: bool = False) -> ApplyReport:
    """Run every action of ``plan``; ``results`` maps finished keys to what ``perform`` returned.

    ``keep_going``: a failure skips only the actions that depend on it, for plans whose
    parts are independent (the nodes of a rack).
    """
    with _sigint_stops() as interrupted:
        report = _apply(plan, perform, concurrency, is_transient, attempts, backoff, recorder or NullRecorder(),
                        on_progress, keep_going, interrupted)
    if report.interrupted:
        raise ApplyInterrupted(report)
    return report


def _apply(plan: Plan, perform, concurrency: int, is_transient, attempts: int, backoff: float,
           recorder: Recorder, on_progress, keep_going: bool, interrupted: threading.Event) -> ApplyReport:
    by_key = {a.key: a for a in plan.actions}
    pending = {a.key for a in plan.actions}
    values: dict[str, Any] = {}
    outcome: dict[str, ActionResult] = {}
    lock = threading.Lock()
    stop = False

    def ready(key: str) -> bool:
        return all(dep not in by_key or (dep in outcome and outcome[dep].outcome is Outcome.DONE)
                   for dep in by_key[key].depends_on)

    def blocked(key: str) -> bool:
        return any(dep in outcome and outcome[dep].outcome is not Outcome.DONE
                   for dep in by_key[key].depends_on)

    def run(action: Action) -> ActionResult:
        start = time.monotonic()
        for attempt in range(1, attempts + 1):
            try:
                with lock:
                    snapshot = dict(values)
                value = perform(action, snapshot)
                return ActionResult(action, Outcome.DONE, value, seconds=time.monotonic() - start,
                                    attempts=attempt)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a reported result
                if attempt < attempts and is_transient(exc) and not interrupted.is_set():
                    if not interrupted.wait(backoff * 2 ** (attempt - 1)):
                        continue
                error = _describe(exc)
                if interrupted.is_set() and is_transient(exc):
                    error = f"not retried (interrupted): {error}"
                return ActionResult(action, Outcome.FAILED, error=error,
                                    seconds=time.monotonic() - start, attempts=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="apply")
    running: dict[Future, str] = {}

    def start_ready() -> None:
        for key in [k for k in sorted(pending, key=_order(plan)) if ready(k)]:
            if len(running) >= concurrency:
                break
            pending.discard(key)
            running[pool.submit(run, by_key[key])] = key

    aborted = True  # until the loop ends normally: then wait for the pool, else (a second Ctrl-C) do not
    try:
        while pending or running:
            stop = stop or interrupted.is_set()
            if not stop:
                start_ready()
            for key in [k for k in pending if blocked(k) or stop]:
                pending.discard(key)
                reason = ("a dependency failed" if blocked(key) else
                          "apply interrupted" if interrupted.is_set() else "apply stopped")
                outcome[key] = ActionResult(by_key[key], Outcome.SKIPPED, error=reason)
                recorder.record(outcome[key])
            if not running:
                if pending:  # a dependency cycle or a dependency on an unknown failure
                    for key in list(pending):
                        pending.discard(key)
                        outcome[key] = ActionResult(by_key[key], Outcome.SKIPPED, error="unmet dependency")
                        recorder.record(outcome[key])
                break
            finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)  # wakes up for Ctrl-C
            results = [fut.result() for fut in finished]
            for fut, result in zip(finished, results):
                outcome[running.pop(fut)] = result
                if result.outcome is Outcome.DONE:
                    with lock:
                        values[result.action.key] = result.value
                elif not keep_going:
                    stop = True
            if not stop and not interrupted.is_set():
                start_ready()  # what these results unblock starts before their records are written
            for result in results:
                recorder.record(result)
                if on_progress:
                    on_progress(result)
        aborted = False
    finally:
        pool.shutdown(wait=not aborted, cancel_futures=True)
    return ApplyReport([outcome[a.key] for a in plan.actions if a.key in outcome], interrupted=interrupted.is_set())


@contextmanager
def _sigint_stops() -> Iterator[threading.Event]:
    """While the block runs, the first Ctrl-C sets the event instead of raising; the second raises.

    Only in the main thread and over Python's own handler: elsewhere the event is
    never set and Ctrl-C behaves as it always does.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield interrupted
        return

    def first(signum, frame) -> None:
        interrupted.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the next one aborts at once

    signal.signal(signal.SIGINT, first)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _order(plan: Plan) -> Callable[[str], int]:
    index = {a.key: i for i, a in enumerate(plan.actions)}
    return lambda key: index[key]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500] if text else type(exc).__name__
