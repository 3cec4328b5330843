"""Power the nodes of a rack on, off or reboot them, through Ironic (which talks Redfish).

Every request goes out at once (bounded by ``concurrency``); then one list call per poll
watches the nodes settle. A node Ironic refuses, or that ends in the wrong power state,
is reported with Ironic's ``last_error`` and does not stop the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from dcctl.racks.ironic import error_text, ironic_error, poll_nodes
from dcctl.racks.progress import NodeProgress
from dcctl.racks.provision import NodeResult

ACTIONS = {"on": ("power on", "power on"), "off": ("power off", "power off"),
           "reboot": ("rebooting", "power on")}  # action -> (Ironic target, final power state)
GRACE = 3.0


def set_power(baremetal, nodes: dict[str, str], action: str, *, concurrency: int = 16,
              timeout: float = 300, progress: NodeProgress | None = None, poll_interval: float = 0.5,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> list[NodeResult]:
    """Ask Ironic to power every node of ``nodes`` (name -> id) ``on``/``off``/``reboot``; wait for it."""
    from dcctl.core.cloud import is_transient

    target, final = ACTIONS[action]
    progress = progress or NodeProgress()
    names = sorted(nodes)
    results = {name: NodeResult(name, False, actions=[action]) for name in names}
    progress.start(names, total=1)
    start = clock()

    def request(name: str) -> tuple[str, float, str]:
        try:
            baremetal.set_node_power_state(nodes[name], target)
            return name, clock(), ""
        except Exception as exc:  # noqa: BLE001 - reported per node
            return name, clock(), error_text(exc)

    pending: dict[str, float] = {}  # name -> when Ironic accepted the request
    seen_moving: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="power") as pool:
        for name, when, error in pool.map(request, names):
            if error:
                _finish(results[name], False, f"Ironic refused: {error}", clock() - start, progress)
            else:
                pending[name] = when
                progress.update(name, f"{action} requested")
    try:
        while pending:
            try:
                states = {n.name: n for n in poll_nodes(baremetal).values()}
            except Exception as exc:  # noqa: BLE001 - a transient failure is retried until the timeout
                if not is_transient(exc):
                    raise ironic_error(exc, "watching the nodes") from None
                states = {}
            now = clock()
            for name in list(pending):
                node = states.get(name)
                if node is None:
                    if now - start > timeout:
                        _finish(results[name], False, "Ironic did not answer", now - start, progress)
                        del pending[name]
                    continue
                results[name].state, results[name].power_state = node.provision_state, node.power_state
                moving = bool(node.target_power_state)
                if moving:
                    seen_moving.add(name)
                progress.update(name, node.power_state or "?",
                                f"-> {node.target_power_state}" if moving else "")
                settled = not moving and (name in seen_moving or now - pending[name] >= GRACE
                                          or (action != "reboot" and node.power_state == final))
                if settled:
                    ok = node.power_state == final
                    error = "" if ok else f"ended {node.power_state or 'in an unknown power state'}" + (
                        f": {node.last_error}" if node.last_error else "")
                    _finish(results[name], ok, error, now - start, progress)
                    del pending[name]
                elif now - start > timeout:
                    _finish(results[name], False, f"timed out after {timeout:.0f}s, power {node.power_state}"
                            + (f": {node.last_error}" if node.last_error else ""), now - start, progress)
                    del pending[name]
            if pending:
                sleep(poll_interval)
    finally:
        progress.close()
    return [results[n] for n in names]


def _finish(result: NodeResult, ok: bool, error: str, seconds: float, progress: NodeProgress) -> None:
    result.ok, result.error, result.seconds = ok, error, seconds
    progress.finish(result.name, ok, error or (result.power_state or ""))
