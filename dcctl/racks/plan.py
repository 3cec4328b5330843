"""Enroll plan and drift: the inventory's servers compared with an Ironic snapshot. Pure.

The plan creates what is missing (a node, then its ports), updates fields that differ,
and *notes* what Ironic has beyond the inventory (orphan nodes, extra ports, MACs held by
a node dcctl does not manage). Nothing is deleted unless asked: with ``prune`` the orphan
nodes dcctl manages (``extra.managed_by``) that are not in use (enroll, manageable,
available, nothing under way) and whose name no device of the inventory has are deleted,
first, so a MAC one of them held can go to the server that has it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dcctl.core.plan import Action, Change, Op, Plan, diff_fields
from dcctl.racks.desired import MANAGED_BY, NodeSpec, flatten
from dcctl.racks.ironic import IronicSnapshot, NodeState

CREDENTIAL_FIELDS = ("driver_info.redfish_username", "driver_info.redfish_password")
# states Ironic deletes a node from and in which no instance runs on it
PRUNABLE_STATES = frozenset({"enroll", "manageable", "available"})


def node_key(name: str) -> str:
    return f"node:{name}"


def port_key(mac: str) -> str:
    return f"port:{mac}"


def credentials_shown(spec: NodeSpec) -> str:
    return f"(from {spec.credentials})"


def plan_enroll(specs: list[NodeSpec], snapshot: IronicSnapshot, racks: set[str] | None = None, *,
                prune: bool = False, listed: frozenset[str] | set[str] = frozenset()) -> Plan:
    """Actions that bring Ironic to ``specs``; ``racks`` (None: every rack) scopes the orphans.

    ``listed``: the name of every device of the inventory, enrolled now or not (a server not
    cabled yet keeps its node). ``prune``: delete the orphans :func:`prune_refusal` allows.
    """
    plan = Plan()
    wanted_macs = {p.mac: s for s in specs for p in s.ports}
    names = {s.name for s in specs}
    pruned: dict[str, str] = {}  # node id -> key of its delete action
    for node in snapshot.nodes:
        if node.name in names:
            continue
        rack = node.body.get("extra", {}).get("dcctl_rack")
        if racks is not None and rack not in racks:
            continue
        shown = f"node {node.name or node.id}" + (f" (rack {rack})" if rack else "")
        if node.name in listed:
            plan.notes.append(f"kept: {shown} is a device of the inventory that dcctl does not enroll now "
                              f"(not cabled, or no bmc); dcctl leaves it alone")
            continue
        refusal = prune_refusal(node)
        if not prune:
            hint = "; `--prune` deletes it" if refusal is None else ""
            plan.notes.append(f"orphan: {shown} is in Ironic but not in the inventory; dcctl leaves it alone{hint}")
        elif refusal:
            plan.notes.append(f"orphan: {shown} is in Ironic but not in the inventory; kept: {refusal}")
        else:
            key = node_key(node.name or node.id)
            pruned[node.id] = key
            plan.actions.append(Action(Op.DELETE, "node", key, f"{node.name or node.id} (rack {rack or '?'}, "
                                       f"{node.provision_state}, not in the inventory)", rack or "",
                                       (Change("provision_state", node.provision_state, None),),
                                       payload={"node_id": node.id, "name": node.name}))
    for spec in specs:
        node = snapshot.by_name.get(spec.name)
        if node is None:
            changes = tuple(Change(k, None, v) for k, v in spec.fields)
            changes += tuple(Change(k, None, credentials_shown(spec)) for k in CREDENTIAL_FIELDS)
            plan.actions.append(Action(Op.CREATE, "node", node_key(spec.name), _label(spec), spec.rack,
                                       changes, payload={"spec": spec}))
        else:
            changes = node_changes(spec, node)
            if changes:
                plan.actions.append(Action(Op.UPDATE, "node", node_key(spec.name), _label(spec), spec.rack,
                                           changes, payload={"spec": spec, "node_id": node.id}))
        _plan_ports(plan, spec, node, snapshot, names, pruned)
    for spec in specs:
        node = snapshot.by_name.get(spec.name)
        for port in snapshot.ports_of(node.id) if node else []:
            if port.address not in {p.mac for p in spec.ports} and port.address not in wanted_macs:
                plan.notes.append(f"extra port: {port.address} on node {spec.name} is not a NIC of "
                                  f"{spec.name} in the inventory; dcctl leaves it alone")
    return plan


def prune_refusal(node: NodeState) -> str | None:
    """Why an orphan ``node`` must stay even with --prune (None: dcctl may delete it)."""
    if node.body.get("extra", {}).get("managed_by") != MANAGED_BY:
        return "dcctl did not enroll it (extra.managed_by is not dcctl)"
    if node.in_transition:
        return f"busy: '{node.provision_state}' on its way to '{node.target_provision_state}'"
    if node.provision_state not in PRUNABLE_STATES:
        return (f"in '{node.provision_state}': dcctl prunes only nodes in enroll, manageable or available "
                f"(undeploy it first)")
    return None


def node_changes(spec: NodeSpec, node: NodeState) -> tuple[Change, ...]:
    """Fields of ``node`` that differ from the spec, plus credentials when the node has none."""
    desired = spec.desired
    current = flatten(node.body, list(desired))
    changes = diff_fields(current, desired)
    info = node.body.get("driver_info", {})
    driver_changed = any(c.field == "driver" for c in changes)
    without_credentials = not all(info.get(k.split(".", 1)[1]) for k in CREDENTIAL_FIELDS)
    if driver_changed or without_credentials:
        changes += tuple(Change(k, info.get(k.split(".", 1)[1]), credentials_shown(spec))
                         for k in CREDENTIAL_FIELDS)
    return changes


def _plan_ports(plan: Plan, spec: NodeSpec, node: NodeState | None, snapshot: IronicSnapshot,
                names: set[str], pruned: dict[str, str]) -> None:
    for port in spec.ports:
        live = snapshot.ports_by_mac.get(port.mac)
        label = f"{port.mac} on {spec.name} ({port.nic}{', pxe' if port.pxe else ''})"
        if live is None or live.node_id in pruned:  # none, or its node is deleted first
            freed = (pruned[live.node_id],) if live is not None else ()
            plan.actions.append(Action(
                Op.CREATE, "port", port_key(port.mac), label, spec.rack,
                (Change("address", None, port.mac), Change("node", None, spec.name),
                 Change("pxe_enabled", None, port.pxe)),
                depends_on=(() if node else (node_key(spec.name),)) + freed,
                payload={"port": port, "node": spec.name, "node_id": node.id if node else None}))
            continue
        owner = snapshot.by_id.get(live.node_id)
        owner_name = owner.name if owner else live.node_id
        if node is None or live.node_id != node.id:
            if owner_name in names:  # moved between servers in the inventory: its owner's plan frees it
                plan.notes.append(f"conflict: MAC {port.mac} of {spec.name} is a port of node "
                                  f"{owner_name}; fix the inventory or move the port by hand")
            else:
                plan.notes.append(f"conflict: MAC {port.mac} of {spec.name} is a port of node "
                                  f"{owner_name}, which is not in the inventory; delete that port "
                                  f"(or node) by hand, then enroll again")
            continue
        if live.pxe_enabled != port.pxe:
            plan.actions.append(Action(
                Op.UPDATE, "port", port_key(port.mac), label, spec.rack,
                (Change("pxe_enabled", live.pxe_enabled, port.pxe),),
                payload={"port": port, "node": spec.name, "port_id": live.id}))


def _label(spec: NodeSpec) -> str:
    return f"{spec.name} (rack {spec.rack}, {spec.role})"


# -- drift ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    """One difference between the inventory and Ironic."""

    kind: str  # missing-node, extra-node, field, missing-port, extra-port, port-elsewhere, port-pxe
    node: str
    detail: str
    rack: str = ""
    field: str = ""
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "rack": self.rack, "field": self.field,
                "expected": self.expected, "actual": self.actual, "detail": self.detail}


def find_drift(specs: list[NodeSpec], snapshot: IronicSnapshot, racks: set[str] | None = None) -> list[Drift]:
    """Nodes missing or extra, fields (driver, BMC address / system, ...) and MACs that differ."""
    out: list[Drift] = []
    names = {s.name for s in specs}
    for spec in specs:
        node = snapshot.by_name.get(spec.name)
        if node is None:
            out.append(Drift("missing-node", spec.name, "not enrolled in Ironic", spec.rack))
            continue
        current = flatten(node.body, list(spec.desired))
        for change in diff_fields(current, spec.desired):
            out.append(Drift("field", spec.name, f"{change.field}: Ironic has {change.old!r}, "
                             f"inventory wants {change.new!r}", spec.rack, change.field, change.new, change.old))
        out += _port_drift(spec, node, snapshot)
    for node in snapshot.nodes:
        if node.name in names:
            continue
        rack = node.body.get("extra", {}).get("dcctl_rack") or ""
        if racks is None or rack in racks:
            out.append(Drift("extra-node", node.name or node.id, "in Ironic, not in the inventory", rack))
    return out


def _port_drift(spec: NodeSpec, node: NodeState, snapshot: IronicSnapshot) -> list[Drift]:
    out = []
    wanted = {p.mac: p for p in spec.ports}
    for port in spec.ports:
        live = snapshot.ports_by_mac.get(port.mac)
        if live is None:
            out.append(Drift("missing-port", spec.name, f"no port for {port.nic} {port.mac}", spec.rack,
                             "port", port.mac, None))
        elif live.node_id != node.id:
            owner = snapshot.by_id.get(live.node_id)
            out.append(Drift("port-elsewhere", spec.name, f"{port.nic} {port.mac} is a port of node "
                             f"{owner.name if owner else live.node_id}", spec.rack, "port", spec.name,
                             owner.name if owner else live.node_id))
        elif live.pxe_enabled != port.pxe:
            out.append(Drift("port-pxe", spec.name, f"{port.nic} {port.mac}: pxe_enabled is "
                             f"{live.pxe_enabled}, inventory says {port.pxe}", spec.rack, "pxe_enabled",
                             port.pxe, live.pxe_enabled))
    for live in snapshot.ports_of(node.id):
        if live.address not in wanted:
            out.append(Drift("extra-port", spec.name, f"port {live.address} is not a NIC of {spec.name} "
                             f"in the inventory", spec.rack, "port", None, live.address))
    return out
