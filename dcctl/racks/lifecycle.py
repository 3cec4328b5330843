"""Build-out status against Ironic: what the inventory says a device is vs what Ironic holds.

Pure. A server not yet cabled has no business being in Ironic (and active is impossible);
one Ironic has taken to active is ready to be recorded as provisioned.
"""

from __future__ import annotations

from dcctl.inventory.model import LifecycleStatus
from dcctl.inventory.rack_inventory import RackInventory
from dcctl.racks.ironic import IronicSnapshot
from dcctl.racks.plan import Drift


def lifecycle_conflicts(inv: RackInventory, snapshot: IronicSnapshot, drift: list[Drift]) -> list[Drift]:
    """``drift`` with "extra-node" items for not-yet-cabled inventory servers turned into
    "lifecycle" items that say what is wrong, plus one per such node Ironic has taken to active."""
    out = []
    for item in drift:
        device = inv.devices.get(item.node)
        if item.kind == "extra-node" and device is not None and not device.reached(LifecycleStatus.CABLED):
            node = snapshot.by_name.get(item.node)
            state = node.provision_state if node else "?"
            impossible = "impossible" if state == "active" else "premature"
            out.append(Drift("lifecycle", item.node,
                             f"{impossible}: the inventory says {device.status.value} (not cabled yet) but "
                             f"Ironic has the node in '{state}'", device.rack, "lifecycle",
                             device.status.value, state))
        else:
            out.append(item)
    return out


def ready_to_promote(inv: RackInventory, snapshot: IronicSnapshot) -> list[str]:
    """Servers Ironic has taken to active whose inventory status is still before provisioned."""
    return sorted(name for name, node in snapshot.by_name.items()
                  if node.provision_state == "active" and name in inv.devices
                  and inv.devices[name].status is not None
                  and not inv.devices[name].reached(LifecycleStatus.PROVISIONED))
