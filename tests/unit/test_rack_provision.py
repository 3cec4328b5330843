"""Provisioning and power: the lifecycle rules (pure) and the loop that drives many nodes, on a fake Ironic."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from dcctl.racks.ironic import NodeState
from dcctl.racks.power import set_power
from dcctl.racks.provision import StepKind, next_step, provision


def node(state, target=None, **kw) -> NodeState:
    return NodeState("id", "n", state, target, **kw)


@pytest.mark.parametrize("state, target, expected", [
    ("enroll", "available", (StepKind.ACT, "manage")),
    ("manageable", "available", (StepKind.ACT, "provide")),
    ("available", "available", (StepKind.DONE, "")),
    ("available", "active", (StepKind.ACT, "active")),
    ("active", "active", (StepKind.DONE, "")),
    ("active", "available", (StepKind.DONE, "")),  # never undeployed to go "back"
    ("clean failed", "available", (StepKind.ACT, "manage")),
    ("inspect failed", "active", (StepKind.ACT, "manage")),
    ("deploy failed", "active", (StepKind.ACT, "active")),
    ("deploy failed", "available", (StepKind.FAIL, "")),
    ("error", "available", (StepKind.FAIL, "")),
    ("rescue", "active", (StepKind.FAIL, "")),
])
def test_next_step_from_each_stable_state(state, target, expected):
    step = next_step(node(state), target)
    assert (step.kind, step.verb) == expected


def test_nodes_in_transition_are_waited_for_unless_held_or_in_maintenance():
    assert next_step(node("verifying", "manageable"), "available").kind is StepKind.WAIT
    assert next_step(node("wait call-back", "active"), "active").kind is StepKind.WAIT
    held = next_step(node("deploy hold", "active"), "active")
    assert held.kind is StepKind.FAIL and "unhold" in held.reason
    maint = next_step(node("manageable", maintenance=True, maintenance_reason="fan swap"), "available")
    assert maint.kind is StepKind.FAIL and "fan swap" in maint.reason


class FakeIronic:
    """A tiny Ironic: provision actions pass through a transitional state for ``ticks`` polls."""

    FLOW = {("enroll", "manage"): ("verifying", "manageable"),
            ("manageable", "provide"): ("cleaning", "available"),
            ("available", "active"): ("deploying", "active"),
            ("deploy failed", "active"): ("deploying", "active"),
            ("clean failed", "manage"): ("verifying", "manageable")}

    def __init__(self, states: dict[str, str], *, ticks: int = 2, broken: dict[str, str] | None = None,
                 refuse: set[str] = frozenset()) -> None:
        self.nodes = {name: {"state": s, "target": None, "left": 0, "error": None, "instance_info": {},
                             "power": "power off", "target_power": None}
                      for name, s in states.items()}
        self.ticks, self.broken, self.refuse = ticks, broken or {}, refuse
        self.calls: list[tuple[str, str]] = []
        self.active_transitions = 0
        self.max_in_transition = 0

    # the proxy methods dcctl uses
    def nodes(self, **_query):  # noqa: F811 - the proxy's name
        raise NotImplementedError

    def patch_node(self, node_id, patch):
        for op in patch:
            self.nodes[node_id]["instance_info"][op["path"].rsplit("/", 1)[1]] = op["value"]

    def put(self, url, json, microversion=None):
        """``PUT /nodes/{id}/states/provision`` as dcctl sends it (202 Accepted)."""
        _, _, node_id, _, _ = url.split("/")
        self.set_node_provision_state(node_id, json["target"])
        return SimpleNamespace(status_code=202)

    def set_node_provision_state(self, node_id, verb):
        n = self.nodes[node_id]
        self.calls.append((node_id, verb))
        if node_id in self.refuse:
            raise RuntimeError(f"The requested action \"{verb}\" can not be performed")
        if verb == "active" and not n["instance_info"]:
            raise RuntimeError("instance_info missing")
        transitional, final = self.FLOW[(n["state"], verb)]
        n.update(state=transitional, target=final, left=self.ticks, error=None)

    def set_node_power_state(self, node_id, target):
        n = self.nodes[node_id]
        self.calls.append((node_id, target))
        n["target_power"], n["left"] = target, self.ticks

    def tick(self):
        in_transition = 0
        for name, n in self.nodes.items():
            if n["target"]:
                in_transition += 1
                n["left"] -= 1
                if n["left"] <= 0:
                    failure = self.broken.get(name)
                    if failure and n["state"] == "verifying":
                        n.update(state="enroll", target=None, error=failure)
                    else:
                        n.update(state=n["target"], target=None)
            if n["target_power"]:
                n["left"] -= 1
                if n["left"] <= 0:
                    n["power"] = "power on" if n["target_power"] in ("power on", "rebooting") else "power off"
                    n["target_power"] = None
        self.max_in_transition = max(self.max_in_transition, in_transition)

    def snapshot(self):
        return {name: NodeState(name, name, n["state"], n["target"], n["power"], n["target_power"], n["error"],
                                body={"instance_info": dict(n["instance_info"])})
                for name, n in self.nodes.items()}


class InlinePool:
    """Runs each submitted call at once: the fake clock cannot outrun a worker thread."""

    def __init__(self, **_kw) -> None:
        pass

    def submit(self, fn, *args):
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001
            future.set_exception(exc)
        return future

    def shutdown(self, wait=True):
        pass


@pytest.fixture
def fake(monkeypatch):
    """Patch the poll to read the fake and a fake clock that advances one second per poll."""
    holder = {}
    clock = SimpleNamespace(now=0.0)

    def poll(_baremetal):
        holder["ironic"].tick()
        return holder["ironic"].snapshot()

    monkeypatch.setattr("dcctl.racks.provision.poll_nodes", poll)
    monkeypatch.setattr("dcctl.racks.provision.ThreadPoolExecutor", InlinePool)
    monkeypatch.setattr("dcctl.racks.power.poll_nodes", poll)

    def sleep(seconds):
        clock.now += seconds

    def make(ironic):
        holder["ironic"] = ironic
        return dict(clock=lambda: clock.now, sleep=sleep)

    return make


def test_every_node_is_driven_to_available_from_where_it_is(fake):
    ironic = FakeIronic({"a": "enroll", "b": "manageable", "c": "available", "d": "clean failed"})
    results = provision(ironic, {n: n for n in ironic.nodes}, "available", **fake(ironic))
    assert [(r.name, r.ok, r.state) for r in results] == [
        ("a", True, "available"), ("b", True, "available"), ("c", True, "available"), ("d", True, "available")]
    assert [r.actions for r in results] == [["manage", "provide"], ["provide"], [], ["manage", "provide"]]


def test_deploy_sets_the_profile_instance_info_first(fake):
    ironic = FakeIronic({"a": "available", "b": "enroll"})
    info = {"kernel": "file:///k", "ramdisk": "file:///r"}
    results = provision(ironic, {"a": "a", "b": "b"}, "active", instance_info=info, **fake(ironic))
    assert all(r.ok and r.state == "active" for r in results)
    assert ironic.nodes["a"]["instance_info"] == info


def test_deploy_without_any_instance_info_is_refused_before_asking_ironic(fake):
    ironic = FakeIronic({"a": "available"})
    (result,) = provision(ironic, {"a": "a"}, "active", **fake(ironic))
    assert not result.ok and "no instance_info" in result.error
    assert ironic.calls == []


def test_a_node_that_fails_verification_is_reported_with_last_error_and_others_finish(fake):
    ironic = FakeIronic({"good": "enroll", "bad": "enroll"},
                        broken={"bad": "Redfish exception: System /redfish/v1/Systems/x was not found"})
    results = {r.name: r for r in provision(ironic, {"good": "good", "bad": "bad"}, "available", **fake(ironic))}
    assert results["good"].ok and results["good"].state == "available"
    bad = results["bad"]
    assert not bad.ok and bad.state == "enroll"
    assert bad.error == ("'manage' did not move it out of 'enroll': Redfish exception: "
                         "System /redfish/v1/Systems/x was not found")
    assert ironic.calls.count(("bad", "manage")) == 1  # tried once per run, not in a loop


def test_ironic_refusing_a_transition_fails_that_node_only(fake):
    ironic = FakeIronic({"a": "enroll", "b": "enroll"}, refuse={"b"})
    results = {r.name: r for r in provision(ironic, {"a": "a", "b": "b"}, "available", **fake(ironic))}
    assert results["a"].ok
    assert not results["b"].ok and results["b"].error.startswith("Ironic refused: The requested action")


def test_no_more_than_concurrency_nodes_are_in_transition(fake):
    ironic = FakeIronic({f"n{i}": "enroll" for i in range(7)}, ticks=3)
    results = provision(ironic, {n: n for n in ironic.nodes}, "available", concurrency=2, **fake(ironic))
    assert all(r.ok for r in results)
    assert ironic.max_in_transition <= 2


def test_a_node_stuck_in_transition_times_out_with_its_state(fake):
    ironic = FakeIronic({"slow": "enroll"}, ticks=1000)
    (result,) = provision(ironic, {"slow": "slow"}, "available", timeout=30, **fake(ironic))
    assert not result.ok
    assert result.error == "timed out after 30s in 'verifying' (on its way to 'manageable')"


def test_power_off_waits_for_every_node_and_reports_each(fake):
    ironic = FakeIronic({"a": "active", "b": "active"})
    for n in ironic.nodes.values():
        n["power"] = "power on"
    results = set_power(ironic, {"a": "a", "b": "b"}, "off", **fake(ironic))
    assert [(r.name, r.ok, r.power_state) for r in results] == [("a", True, "power off"), ("b", True, "power off")]
    assert sorted(ironic.calls) == [("a", "power off"), ("b", "power off")]
