"""Enroll plan and drift: the inventory's servers against an Ironic snapshot, without Ironic."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dcctl.core.plan import Op
from dcctl.inventory import load_inventory
from dcctl.racks.deploy_profile import DeployProfile
from dcctl.racks.desired import node_specs, unflatten
from dcctl.racks.ironic import IronicSnapshot, NodeState, PortState
from dcctl.racks.plan import find_drift, plan_enroll

ROOT = Path(__file__).resolve().parents[2]
PROFILE = DeployProfile(node={"boot_interface": "pxe", "deploy_interface": "ramdisk"},
                        driver_info={"redfish_verify_ca": "/etc/dcctl/bmc-ca.pem"})


@pytest.fixture(scope="module")
def inventory():
    inv, problems = load_inventory(ROOT / "inventory")
    assert not [p for p in problems if p.severity.value == "error"]
    return inv


@pytest.fixture(scope="module")
def specs(inventory):
    return node_specs(inventory, inventory.servers(), PROFILE)


def enrolled(specs, *, ports=True, skip=()) -> IronicSnapshot:
    """The snapshot Ironic would give once ``specs`` are enrolled (password masked, as Ironic does)."""
    nodes, port_states = [], []
    for i, spec in enumerate(specs):
        if spec.name in skip:
            continue
        body = unflatten(spec.desired)
        body["driver_info"].update(redfish_username="admin", redfish_password="******")
        body.setdefault("instance_info", {})
        nodes.append(NodeState(f"uuid-{i}", spec.name, "enroll", body=body))
        if ports:
            port_states += [PortState(f"port-{p.mac}", p.mac, f"uuid-{i}", p.pxe) for p in spec.ports]
    return IronicSnapshot(nodes, port_states)


def test_every_server_with_a_bmc_becomes_a_node_spec(inventory, specs):
    assert {s.name for s in specs} == {d.name for d in inventory.servers() if d.bmc}
    spec = next(s for s in specs if s.name == "bsr-cmp01")
    desired = spec.desired
    assert desired["driver"] == "redfish"
    assert desired["driver_info.redfish_address"] == "https://127.0.21.11:28443"
    assert desired["driver_info.redfish_system_id"] == "/redfish/v1/Systems/d3c54543-86ce-5dd9-b431-341eb5c38f97"
    assert desired["driver_info.redfish_verify_ca"] == "/etc/dcctl/bmc-ca.pem"
    assert desired["properties.cpus"] == 64 and desired["properties.local_gb"] == 1920
    assert desired["resource_class"] == "baremetal-compute"
    assert desired["boot_interface"] == "pxe" and desired["extra.dcctl_rack"] == "bsr-r01"
    assert [(p.nic, p.pxe) for p in spec.ports] == [("eno1", True), ("eno2", False)]
    assert spec.credentials == "env:DCCTL_BMC_BASRA"
    assert spec.location.startswith("inventory/basra.yaml:")


def test_plan_from_empty_ironic_creates_each_node_then_its_ports(specs):
    plan = plan_enroll(specs, IronicSnapshot())
    nodes = [a for a in plan.actions if a.kind == "node"]
    ports = [a for a in plan.actions if a.kind == "port"]
    assert len(nodes) == len(specs) and all(a.op is Op.CREATE for a in nodes)
    assert len(ports) == sum(len(s.ports) for s in specs)
    assert all(a.depends_on == (f"node:{a.payload['node']}",) for a in ports)
    first = nodes[0]
    creds = {c.field: c.new for c in first.changes if "redfish_user" in c.field or "password" in c.field}
    assert set(creds.values()) == {f"(from {first.payload['spec'].credentials})"}
    assert plan.counts() == {"create": len(plan.actions), "update": 0, "delete": 0}
    assert not plan.notes


def test_plan_against_an_enrolled_ironic_is_a_no_op(specs):
    plan = plan_enroll(specs, enrolled(specs))
    assert plan.is_empty and not plan.notes, plan.render()


def test_a_changed_bmc_address_is_one_update_of_that_field(specs):
    snapshot = enrolled(specs)
    node = snapshot.by_name["bgw-cmp01"]
    node.body["driver_info"]["redfish_address"] = "https://10.9.9.9"
    plan = plan_enroll(specs, snapshot)
    assert [(a.op, a.key) for a in plan.actions] == [(Op.UPDATE, "node:bgw-cmp01")]
    (change,) = plan.actions[0].changes
    assert (change.field, change.old) == ("driver_info.redfish_address", "https://10.9.9.9")
    assert plan.actions[0].payload["node_id"] == node.id


def test_a_node_without_credentials_gets_them_from_the_reference(specs):
    snapshot = enrolled(specs)
    snapshot.by_name["bgw-cmp02"].body["driver_info"].pop("redfish_password")
    plan = plan_enroll(specs, snapshot)
    (action,) = plan.actions
    assert {c.field for c in action.changes} == {"driver_info.redfish_username", "driver_info.redfish_password"}
    assert all(c.new == "(from env:DCCTL_BMC_BAGHDAD)" for c in action.changes)


def test_missing_ports_are_created_on_the_existing_node(specs):
    snapshot = enrolled(specs, ports=False)
    plan = plan_enroll(specs, snapshot)
    assert {a.kind for a in plan.actions} == {"port"}
    port = next(a for a in plan.actions if a.payload["node"] == "bsr-cmp01")
    assert port.depends_on == () and port.payload["node_id"] == snapshot.by_name["bsr-cmp01"].id


def test_a_port_with_the_wrong_pxe_flag_is_updated(specs):
    snapshot = enrolled(specs)
    mac = next(p.mac for s in specs if s.name == "bsr-cmp01" for p in s.ports if p.pxe)
    live = snapshot.ports_by_mac[mac]
    snapshot = IronicSnapshot(snapshot.nodes, [PortState(p.id, p.address, p.node_id, False) if p is live else p
                                               for p in snapshot.ports])
    (action,) = plan_enroll(specs, snapshot).actions
    assert (action.op, action.kind, action.changes[0].old, action.changes[0].new) == (Op.UPDATE, "port", False, True)


def test_nodes_and_ports_beyond_the_inventory_are_noted_never_deleted(specs):
    snapshot = enrolled(specs)
    stranger = NodeState("uuid-x", "old-server", "available", body={"extra": {"dcctl_rack": "bsr-r01"}})
    foreign = NodeState("uuid-y", "someone-elses", "available", body={"extra": {}})
    mac = specs[0].ports[0].mac
    ports = [p for p in snapshot.ports if p.address != mac] + [
        PortState("p-x", mac, "uuid-y", True), PortState("p-z", "52:54:00:99:99:99", snapshot.nodes[1].id, False)]
    snapshot = IronicSnapshot(snapshot.nodes + [stranger, foreign], ports)
    plan = plan_enroll(specs, snapshot)
    assert all(a.op is not Op.DELETE for a in plan.actions)
    assert not any(a.key == f"port:{mac}" for a in plan.actions)  # held by a foreign node: not retried
    text = "\n".join(plan.notes)
    assert "orphan: node old-server (rack bsr-r01)" in text
    assert "orphan: node someone-elses" in text
    assert f"conflict: MAC {mac} of {specs[0].name} is a port of node someone-elses" in text
    assert "extra port: 52:54:00:99:99:99" in text
    # scoped to one rack, only that rack's orphans are noted
    scoped = plan_enroll([s for s in specs if s.rack == "bsr-r01"], snapshot, {"bsr-r01"})
    assert any("old-server" in n for n in scoped.notes)
    assert not any("someone-elses" in n and "orphan" in n for n in scoped.notes)


def test_the_plan_as_json_holds_references_never_secrets(specs, monkeypatch):
    monkeypatch.setenv("DCCTL_BMC_BASRA_USERNAME", "root")
    monkeypatch.setenv("DCCTL_BMC_BASRA_PASSWORD", "s3cret-pa55")
    plan = plan_enroll(specs, IronicSnapshot())
    text = json.dumps(plan.as_dict()) + plan.render()
    assert "s3cret-pa55" not in text
    assert "env:DCCTL_BMC_BASRA" in text


def test_drift_names_missing_extra_and_mismatched_nodes_and_macs(specs):
    snapshot = enrolled(specs, skip={"anb-cmp01"})
    snapshot.by_name["bgw-stg01"].body["driver_info"]["redfish_system_id"] = "/redfish/v1/Systems/wrong"
    snapshot.by_name["bgw-stg02"].body["driver"] = "ipmi"
    stg03 = next(s for s in specs if s.name == "bgw-stg03")
    moved = stg03.ports[0].mac
    ports = [PortState(p.id, p.address, snapshot.by_name["bgw-stg01"].id if p.address == moved else p.node_id,
                       p.pxe_enabled) for p in snapshot.ports]
    ports.append(PortState("p-extra", "52:54:00:aa:aa:aa", snapshot.by_name["bsr-cmp01"].id, False))
    extra = NodeState("uuid-e", "retired-01", "manageable", body={"extra": {"dcctl_rack": "bgw-a01"}})
    drift = find_drift(specs, IronicSnapshot(snapshot.nodes + [extra], ports))
    found = {(d.kind, d.node, d.field) for d in drift}
    assert ("missing-node", "anb-cmp01", "") in found
    assert ("field", "bgw-stg01", "driver_info.redfish_system_id") in found
    assert ("field", "bgw-stg02", "driver") in found
    assert ("port-elsewhere", "bgw-stg03", "port") in found
    assert ("extra-port", "bgw-stg01", "port") in found  # the moved MAC is extra where it landed
    assert ("extra-port", "bsr-cmp01", "port") in found
    assert ("extra-node", "retired-01", "") in found
    assert find_drift(specs, enrolled(specs)) == []


# -- prune ---------------------------------------------------------------------------------

def orphan(name: str, state: str = "available", *, rack: str = "bsr-r01", managed: bool = True,
           target: str | None = None) -> NodeState:
    extra = {"dcctl_rack": rack, **({"managed_by": "dcctl"} if managed else {})}
    return NodeState(f"uuid-{name}", name, state, target, body={"extra": extra})


def test_prune_deletes_the_idle_orphans_dcctl_enrolled_and_keeps_the_rest_with_a_reason(specs):
    snapshot = enrolled(specs)
    others = [orphan("old-server"), orphan("old-enrolled", "enroll"), orphan("old-deployed", "active"),
              orphan("old-busy", "manageable", target="available"), orphan("someone-elses", managed=False)]
    plan = plan_enroll(specs, IronicSnapshot(snapshot.nodes + others, snapshot.ports), prune=True)
    assert [(a.op, a.key) for a in plan.actions] == [(Op.DELETE, "node:old-server"),
                                                     (Op.DELETE, "node:old-enrolled")]
    assert plan.actions[0].payload == {"node_id": "uuid-old-server", "name": "old-server"}
    assert plan.actions[0].scope == "bsr-r01"
    notes = "\n".join(plan.notes)
    assert "node old-deployed (rack bsr-r01) is in Ironic but not in the inventory; kept: in 'active'" in notes
    assert "node old-busy (rack bsr-r01) is in Ironic but not in the inventory; kept: busy" in notes
    assert "node someone-elses (rack bsr-r01) is in Ironic but not in the inventory; kept: dcctl did not " \
           "enroll it" in notes
    assert plan.summary() == "Plan: 0 to create, 0 to change, 2 to delete."


def test_without_prune_orphans_are_only_noted_with_what_prune_would_do(specs):
    snapshot = enrolled(specs)
    plan = plan_enroll(specs, IronicSnapshot(snapshot.nodes + [orphan("old-server"), orphan("old-deployed", "active")],
                                             snapshot.ports))
    assert plan.is_empty
    assert any("node old-server" in n and n.endswith("`--prune` deletes it") for n in plan.notes)
    assert not any("node old-deployed" in n and "--prune" in n for n in plan.notes)


def test_prune_never_deletes_the_node_of_a_device_the_inventory_still_lists(specs):
    """A server moved back to an earlier build-out status is left out of the specs, not pruned."""
    snapshot = enrolled(specs)
    without = [s for s in specs if s.name != "bsr-cmp02"]
    plan = plan_enroll(without, snapshot, prune=True, listed={s.name for s in specs})
    assert plan.is_empty
    assert any(n.startswith("kept: node bsr-cmp02 (rack bsr-r01) is a device of the inventory") for n in plan.notes)


def test_prune_is_scoped_to_the_racks_planned(specs):
    snapshot = enrolled(specs)
    nodes = snapshot.nodes + [orphan("old-basra"), orphan("old-baghdad", rack="bgw-a01")]
    plan = plan_enroll([s for s in specs if s.rack == "bgw-a01"], IronicSnapshot(nodes, snapshot.ports),
                       {"bgw-a01"}, prune=True, listed={s.name for s in specs})
    assert [a.key for a in plan.actions] == ["node:old-baghdad"]


def test_a_renamed_server_gets_the_macs_of_its_pruned_old_node(specs):
    """The old node is deleted first; the new node's ports wait for it, not a conflict note."""
    snapshot = enrolled(specs)
    old = snapshot.by_name["bsr-cmp02"]
    old.body["extra"]["managed_by"] = "dcctl"
    renamed = [s if s.name != "bsr-cmp02" else replace(s, name="bsr-cmp12") for s in specs]
    plan = plan_enroll(renamed, snapshot, prune=True, listed={s.name for s in renamed})
    keys = [(a.op, a.key) for a in plan.actions]
    assert keys[0] == (Op.DELETE, "node:bsr-cmp02")
    assert (Op.CREATE, "node:bsr-cmp12") in keys
    ports = [a for a in plan.actions if a.kind == "port"]
    assert {a.payload["node"] for a in ports} == {"bsr-cmp12"} and len(ports) == 2
    assert all(set(a.depends_on) == {"node:bsr-cmp12", "node:bsr-cmp02"} for a in ports)
    assert not [n for n in plan.notes if n.startswith("conflict")]
