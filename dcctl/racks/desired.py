"""What Ironic should hold for the servers of the inventory: one node and its ports per server.

Pure: built from the inventory and the deploy profile, no service involved. A node's
fields are kept flat, as dotted paths (``driver_info.redfish_address``), which is how
they are compared with Ironic and patched into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dcctl.inventory.model import Device
from dcctl.inventory.rack_inventory import RackInventory
from dcctl.racks.deploy_profile import DeployProfile

DRIVER = "redfish"
MANAGED_BY = "dcctl"


@dataclass(frozen=True)
class PortSpec:
    mac: str
    nic: str
    pxe: bool


@dataclass(frozen=True)
class NodeSpec:
    """One server as an Ironic node. ``credentials`` is the inventory's reference, never a secret."""

    name: str
    rack: str
    site: str
    role: str
    credentials: str
    fields: tuple[tuple[str, Any], ...]  # dotted path -> desired value, sorted
    ports: tuple[PortSpec, ...]
    location: str = ""  # file:line of the device in the inventory

    @property
    def desired(self) -> dict[str, Any]:
        return dict(self.fields)

    def create_body(self) -> dict[str, Any]:
        """The fields as the nested body of a node create (credentials added at apply time)."""
        return unflatten(self.desired)


def node_spec(device: Device, site: str, profile: DeployProfile, location: str = "") -> NodeSpec:
    """The Ironic node a server of the inventory should be."""
    if device.bmc is None:
        raise ValueError(f"{device.name} has no bmc")
    fields: dict[str, Any] = {
        "driver": DRIVER,
        "driver_info.redfish_address": device.bmc.address,
        "driver_info.redfish_system_id": f"/redfish/v1/Systems/{device.bmc.system_id}",
        "resource_class": profile.resource_class(device.role.value),
        "extra.dcctl_rack": device.rack,
        "extra.dcctl_site": site,
        "extra.managed_by": MANAGED_BY,
    }
    for key, value in profile.driver_info.items():
        fields[f"driver_info.{key}"] = value
    for key, value in profile.node.items():
        fields[key] = value
    for key, value in (("cpus", device.cpus), ("memory_mb", device.memory_mb), ("local_gb", device.disk_gb)):
        if value is not None:
            fields[f"properties.{key}"] = value
    ports = tuple(PortSpec(n.mac.lower(), n.name, n.pxe) for n in device.nics)
    return NodeSpec(device.name, device.rack, site, device.role.value, device.bmc.credentials,
                    tuple(sorted(fields.items())), ports, location)


def node_specs(inventory: RackInventory, devices: list[Device], profile: DeployProfile) -> list[NodeSpec]:
    """Specs of the servers among ``devices`` that have a BMC, sorted by rack and name."""
    specs = []
    for d in devices:
        if not d.is_server or d.bmc is None:
            continue
        rack = inventory.racks.get(d.rack)
        try:
            location = str(inventory.origin("devices", d.name).at("name"))
        except KeyError:
            location = ""
        specs.append(node_spec(d, rack.site if rack else "", profile, location))
    return sorted(specs, key=lambda s: (s.rack, s.name))


def flatten(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The values at dotted ``keys`` of a nested mapping (missing ones as None)."""
    out = {}
    for key in keys:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[key] = value
    return out


def unflatten(fields: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in fields.items():
        *parents, last = key.split(".")
        slot = body
        for part in parents:
            slot = slot.setdefault(part, {})
        slot[last] = value
    return body
