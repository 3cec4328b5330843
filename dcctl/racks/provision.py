"""Drive nodes manage -> provide -> (deploy), many at once, watching them with one list call per poll.

:func:`next_step` decides, from a node's state alone, what to do next; it is pure and
where the lifecycle rules live. :func:`provision` does the I/O: it polls every node in
one list call, starts at most ``concurrency`` transitions at a time (in a small thread
pool, so a slow API call never stalls the others), and gives up on a node, with Ironic's
``last_error``, when an action did not move it or the timeout passed. A node that fails
never stops the others; re-running picks every node up from the state it is in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dcctl.racks.ironic import NodeState, error_text, ironic_error, poll_nodes
from dcctl.racks.progress import NodeProgress

TARGETS = ("available", "active")
FAILED_STATES = frozenset({"clean failed", "inspect failed", "deploy failed", "adopt failed",
                           "rescue failed", "unrescue failed", "service failed", "error"})
HOLD_STATES = frozenset({"clean hold", "deploy hold", "service hold"})
# how far along the way to ``active`` each stable state is, for the progress bars
MILESTONES = {"enroll": 0, "manageable": 1, "available": 2, "active": 3}
GRACE = 3.0  # seconds an action may take to show in the node's state


class StepKind(str, Enum):
    WAIT = "wait"
    ACT = "act"
    DONE = "done"
    FAIL = "fail"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    verb: str = ""  # the provision action for ACT: manage, provide, active
    reason: str = ""


def next_step(node: NodeState, target: str) -> Step:
    """What to do with ``node`` to bring it to ``target`` (available or active)."""
    state = node.provision_state or ""
    if node.maintenance:
        return Step(StepKind.FAIL, reason=f"in maintenance ({node.maintenance_reason or 'no reason given'}): "
                                          "take it out of maintenance, then run again")
    if state in HOLD_STATES:
        return Step(StepKind.FAIL, reason=f"held in '{state}': unhold it, then run again")
    if node.in_transition:
        return Step(StepKind.WAIT)
    if state == "enroll":
        return Step(StepKind.ACT, "manage")
    if state == "manageable":
        return Step(StepKind.ACT, "provide")
    if state == "available":
        return Step(StepKind.DONE) if target == "available" else Step(StepKind.ACT, "active")
    if state == "active":
        return Step(StepKind.DONE, reason="already active" if target == "available" else "")
    if state in ("clean failed", "inspect failed"):
        return Step(StepKind.ACT, "manage")  # back to manageable, then provide again
    if state == "deploy failed":
        if target == "active":
            return Step(StepKind.ACT, "active")
        return Step(StepKind.FAIL, reason="deploy failed earlier: run with --to active to retry, "
                                          "or undeploy it by hand")
    if state in FAILED_STATES:
        return Step(StepKind.FAIL, reason=f"in '{state}': needs an engineer")
    return Step(StepKind.FAIL, reason=f"in '{state}', a state dcctl does not provision from")


@dataclass
class NodeResult:
    name: str
    ok: bool
    state: str | None = None
    power_state: str | None = None
    error: str = ""
    note: str = ""
    seconds: float = 0.0
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.name, "ok": self.ok, "provision_state": self.state,
                "power_state": self.power_state, "error": self.error, "note": self.note,
                "seconds": round(self.seconds, 2), "actions": self.actions}


@dataclass
class _Run:
    name: str
    id: str
    result: NodeResult
    attempted: set = field(default_factory=set)  # (state, verb) pairs already tried
    issued: tuple[str, str, float] | None = None  # verb, state it was issued from, when
    call: Future | None = None
    seen: NodeState | None = None
    done: bool = False


def provision(baremetal, nodes: dict[str, str], target: str, *, concurrency: int = 8,
              timeout: float = 1200, instance_info: dict[str, Any] | None = None,
              progress: NodeProgress | None = None, poll_interval: float = 0.5,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> list[NodeResult]:
    """Bring every node of ``nodes`` (name -> Ironic id) to ``target``; one result per node."""
    from dcctl.core.cloud import is_transient

    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}")
    progress = progress or NodeProgress()
    start = clock()
    runs = [_Run(name, node_id, NodeResult(name, False)) for name, node_id in sorted(nodes.items())]
    progress.start([r.name for r in runs], total=3 if target == "active" else 2)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="provision")

    def finish(run: _Run, ok: bool, error: str = "", note: str = "") -> None:
        run.done = True
        run.result.ok, run.result.error, run.result.note = ok, error, note
        run.result.seconds = clock() - start
        if run.seen:
            run.result.state, run.result.power_state = run.seen.provision_state, run.seen.power_state
        progress.finish(run.name, ok, error or note or (run.result.state or ""))

    def busy(run: _Run) -> bool:
        return run.call is not None or run.issued is not None

    try:
        while not all(r.done for r in runs):
            try:
                states = poll_nodes(baremetal)
            except Exception as exc:  # noqa: BLE001 - a transient failure is retried until the timeout
                if not is_transient(exc):
                    raise ironic_error(exc, "watching the nodes") from None
                states = None
                poll_error = error_text(exc)
            now = clock()
            for run in runs:
                if run.done:
                    continue
                if run.call is not None:
                    if not run.call.done():
                        continue
                    exc = run.call.exception()
                    run.call = None
                    if exc is not None:
                        verb, from_state, _when = run.issued or ("", "", 0.0)
                        run.issued = None
                        if _retryable(exc, is_transient):
                            run.attempted.discard((from_state, verb))
                            progress.update(run.name, run.seen.provision_state if run.seen else "",
                                            f"retrying: {error_text(exc)}")
                        else:
                            finish(run, False, f"Ironic refused: {error_text(exc)}")
                        continue
                if states is None:
                    if now - start > timeout:
                        finish(run, False, f"timed out after {timeout:.0f}s; Ironic unreachable: {poll_error}")
                    continue
                node = states.get(run.id)
                if node is None:
                    finish(run, False, "the node is no longer in Ironic")
                    continue
                run.seen = node
                progress.update(run.name, _shown_state(node), "", MILESTONES.get(node.provision_state or ""))
                if run.issued:
                    verb, from_state, when = run.issued
                    if node.in_transition or node.provision_state != from_state:
                        pass  # the action took
                    elif now - when < GRACE:
                        continue
                    if not node.in_transition:
                        run.issued = None
                step = next_step(node, target)
                if step.kind is StepKind.DONE:
                    finish(run, True, note=step.reason)
                elif step.kind is StepKind.FAIL:
                    finish(run, False, _with_last_error(step.reason, node))
                elif now - start > timeout:
                    finish(run, False, _with_last_error(
                        f"timed out after {timeout:.0f}s in '{node.provision_state}'"
                        + (f" (on its way to '{node.target_provision_state}')" if node.in_transition else ""),
                        node))
                elif step.kind is StepKind.ACT:
                    key = (node.provision_state, step.verb)
                    if key in run.attempted:
                        finish(run, False, _with_last_error(
                            f"'{step.verb}' did not move it out of '{node.provision_state}'", node,
                            required=True))
                        continue
                    if sum(busy(r) for r in runs if not r.done and r is not run) >= concurrency:
                        progress.update(run.name, _shown_state(node), "queued")
                        continue
                    info = _missing_instance_info(node, instance_info) if step.verb == "active" else {}
                    if step.verb == "active" and info is None:
                        finish(run, False, "no instance_info to deploy with: give a deploy profile with "
                                           "instance_info (--deploy-profile / DCCTL_DEPLOY_PROFILE)")
                        continue
                    run.attempted.add(key)
                    run.result.actions.append(step.verb)
                    run.issued = (step.verb, node.provision_state, now)
                    run.call = pool.submit(_act, baremetal, run.id, step.verb, info or {})
                    progress.update(run.name, _shown_state(node), f"{step.verb} requested")
            if not all(r.done for r in runs):
                sleep(poll_interval)
    finally:
        pool.shutdown(wait=True)
        progress.close()
    return [r.result for r in runs]


def _act(baremetal, node_id: str, verb: str, instance_info: dict[str, Any]) -> None:
    if instance_info:
        baremetal.patch_node(node_id, [{"op": "add", "path": f"/instance_info/{k}", "value": v}
                                       for k, v in sorted(instance_info.items())])
    request_provision_state(baremetal, node_id, verb)


def request_provision_state(baremetal, node_id: str, verb: str) -> None:
    """Ask Ironic for a provision action: one PUT. (openstacksdk's ``set_node_provision_state``
    GETs the node after it, which the next poll reads anyway: a third of provision's calls.)"""
    from openstack import exceptions
    from openstack.baremetal.v1 import _common

    version = _common.PROVISIONING_VERSIONS.get(verb)
    response = baremetal.put(f"/nodes/{node_id}/states/provision", json={"target": verb},
                             microversion=f"1.{version}" if version else None)
    exceptions.raise_from_response(response, error_message=f"Failed to set provision state for bare metal "
                                                           f"node {node_id} to {verb}")


def _missing_instance_info(node: NodeState, profile_info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keys of the profile's instance_info the node lacks ({} when complete; None when it has nothing)."""
    current = node.body.get("instance_info") or {}
    if not profile_info:
        return {} if current else None
    return {k: v for k, v in profile_info.items() if current.get(k) != v}


def _retryable(exc: BaseException, is_transient: Callable[[BaseException], bool]) -> bool:
    """A locked node (409) or a transient fault: try again at the next poll."""
    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    return status == 409 or is_transient(exc)


def _shown_state(node: NodeState) -> str:
    state = node.provision_state or "?"
    if node.in_transition:
        return f"{state} -> {node.target_provision_state}"
    return state


def _with_last_error(reason: str, node: NodeState, required: bool = False) -> str:
    if node.last_error:
        return f"{reason}: {node.last_error}"
    return reason + (" (Ironic gave no last_error)" if required else "")
