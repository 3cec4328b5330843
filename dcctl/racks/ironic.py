"""Ironic as dcctl reads it: node and port states, and a snapshot taken with two list calls.

A snapshot is the "live" side of every rack plan: one paginated list of nodes with their
details and one of ports, never a GET per node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dcctl.core.errors import ServiceError

# the node fields a progress poll needs (one list call per poll)
POLL_FIELDS = ("uuid", "name", "provision_state", "target_provision_state", "power_state",
               "target_power_state", "last_error", "maintenance", "maintenance_reason",
               "instance_info")


@dataclass(frozen=True)
class NodeState:
    id: str
    name: str | None
    provision_state: str | None = None
    target_provision_state: str | None = None
    power_state: str | None = None
    target_power_state: str | None = None
    last_error: str | None = None
    maintenance: bool = False
    maintenance_reason: str | None = None
    body: dict[str, Any] = field(default_factory=dict, compare=False)  # the node's fields as Ironic gives them

    @property
    def in_transition(self) -> bool:
        return bool(self.target_provision_state)

    @classmethod
    def from_sdk(cls, node: Any) -> "NodeState":
        body = {
            "driver": node.driver, "driver_info": dict(node.driver_info or {}),
            "properties": dict(node.properties or {}), "resource_class": node.resource_class,
            "extra": dict(node.extra or {}), "instance_info": dict(node.instance_info or {}),
        }
        for attr in ("boot_interface", "deploy_interface", "power_interface", "management_interface",
                     "inspect_interface", "bios_interface", "console_interface", "network_interface",
                     "raid_interface", "rescue_interface", "storage_interface", "vendor_interface",
                     "firmware_interface", "conductor_group", "owner", "lessee", "description",
                     "chassis_id", "network_data"):
            value = getattr(node, attr, None)
            if value is not None:
                body["chassis_uuid" if attr == "chassis_id" else attr] = value
        return cls(id=node.id, name=node.name, provision_state=node.provision_state,
                   target_provision_state=node.target_provision_state, power_state=node.power_state,
                   target_power_state=node.target_power_state, last_error=node.last_error,
                   maintenance=bool(node.is_maintenance), maintenance_reason=node.maintenance_reason,
                   body=body)


@dataclass(frozen=True)
class PortState:
    id: str
    address: str
    node_id: str
    pxe_enabled: bool = True


@dataclass
class IronicSnapshot:
    nodes: list[NodeState] = field(default_factory=list)
    ports: list[PortState] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_name = {n.name: n for n in self.nodes if n.name}
        self.by_id = {n.id: n for n in self.nodes}
        self.ports_by_mac = {p.address.lower(): p for p in self.ports}

    def ports_of(self, node_id: str) -> list[PortState]:
        return [p for p in self.ports if p.node_id == node_id]


def connect_baremetal(cloud: str | None):
    """The openstacksdk connection whose ``.baremetal`` proxy dcctl uses (Ironic from the catalog)."""
    from dcctl.core.cloud import connect

    return connect(cloud)


def read_snapshot(baremetal) -> IronicSnapshot:
    """Every node (with details) and every port: two list calls."""
    try:
        nodes = [NodeState.from_sdk(n) for n in baremetal.nodes(details=True)]
        ports = [PortState(p.id, p.address.lower(), p.node_id, bool(p.is_pxe_enabled))
                 for p in baremetal.ports(details=True)]
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises, the user needs one line
        raise ironic_error(exc, "reading nodes and ports from Ironic") from None
    return IronicSnapshot(nodes, ports)


def poll_nodes(baremetal) -> dict[str, NodeState]:
    """The state of every node (one list call, only the fields progress needs), by id."""
    nodes = baremetal.nodes(fields=list(POLL_FIELDS))
    return {n.id: NodeState(id=n.id, name=n.name, provision_state=n.provision_state,
                            target_provision_state=n.target_provision_state, power_state=n.power_state,
                            target_power_state=n.target_power_state, last_error=n.last_error,
                            maintenance=bool(n.is_maintenance), maintenance_reason=n.maintenance_reason,
                            body={"instance_info": dict(n.instance_info or {})})
            for n in nodes}


def ironic_error(exc: BaseException, what: str) -> ServiceError:
    return ServiceError(f"{what}: {error_text(exc)}",
                        "is Ironic up and in the catalog of --os-cloud? (lab: dcctl lab status)")


def error_text(exc: BaseException) -> str:
    """Ironic's own message when it sent one (``details``), else the first line of the error."""
    details = getattr(exc, "details", None)
    text = str(details or exc).strip()
    if not text:
        return type(exc).__name__
    return text.splitlines()[0][:500]
