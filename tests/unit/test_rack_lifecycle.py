"""Build-out status vs Ironic: premature and impossible nodes, and servers ready to promote."""

from pathlib import Path

from dcctl.inventory import load_inventory
from dcctl.racks.ironic import IronicSnapshot, NodeState
from dcctl.racks.lifecycle import lifecycle_conflicts, ready_to_promote
from dcctl.racks.plan import Drift

ROOT = Path(__file__).resolve().parents[2]


def inventory_with_basra_installed(tmp_path):
    import shutil

    shutil.copytree(ROOT / "inventory", tmp_path / "inv")
    f = tmp_path / "inv" / "basra.yaml"
    f.write_text(f.read_text().replace(", cabled: 2026-10-26}", "}", 1))  # bsr-cmp01: installed
    inv, problems = load_inventory(tmp_path / "inv")
    assert not [p for p in problems if p.severity.value == "error"]
    return inv


def test_a_node_for_a_server_not_yet_cabled_is_a_lifecycle_conflict(tmp_path):
    inv = inventory_with_basra_installed(tmp_path)
    snap = IronicSnapshot(nodes=[NodeState("n1", "bsr-cmp01", provision_state="active")])
    drift = [Drift("extra-node", "bsr-cmp01", "in Ironic, not in the inventory", "bsr-r01")]
    (item,) = lifecycle_conflicts(inv, snap, drift)
    assert item.kind == "lifecycle"
    assert item.detail == ("impossible: the inventory says installed (not cabled yet) but Ironic has the node "
                           "in 'active'")


def test_other_drift_is_left_as_it_is(tmp_path):
    inv = inventory_with_basra_installed(tmp_path)
    drift = [Drift("extra-node", "stray-node", "in Ironic, not in the inventory")]
    assert lifecycle_conflicts(inv, IronicSnapshot(), drift) == drift


def test_active_servers_still_cabled_in_the_inventory_are_ready_to_promote():
    inv, _ = load_inventory(ROOT / "inventory")
    snap = IronicSnapshot(nodes=[NodeState("1", "bgw-cmp04", provision_state="active"),   # cabled
                                 NodeState("2", "bgw-ctl01", provision_state="active"),   # in-service already
                                 NodeState("3", "bgw-cmp05", provision_state="available")])
    assert ready_to_promote(inv, snap) == ["bgw-cmp04"]
