"""The rack inventory's typed model: sites, halls, racks, devices, networks.

Field declarations are the schema: the loader validates each YAML item against
these models (unknown keys rejected), then ``validate`` checks what spans items
(references, overlaps, budgets, uniqueness).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
                             description="lower-case letters, digits and '-'")]
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
CREDENTIAL_REF_RE = re.compile(r"^(env|file):[A-Za-z0-9_.\-/]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DeviceRole(str, Enum):
    CONTROLLER = "controller"
    COMPUTE = "compute"
    STORAGE = "storage"
    SWITCH = "switch"
    FIREWALL = "firewall"
    PDU = "pdu"
    PATCH_PANEL = "patch-panel"


SERVER_ROLES = frozenset({DeviceRole.CONTROLLER, DeviceRole.COMPUTE, DeviceRole.STORAGE})


class LifecycleStatus(str, Enum):
    """Where a device stands in the build-out, in the order it passes through them."""

    PLANNED = "planned"
    DELIVERED = "delivered"
    INSTALLED = "installed"
    CABLED = "cabled"
    PROVISIONED = "provisioned"
    IN_SERVICE = "in-service"
    DECOMMISSIONING = "decommissioning"

    @property
    def rank(self) -> int:
        return _LIFECYCLE_ORDER.index(self)


_LIFECYCLE_ORDER = list(LifecycleStatus)


class NetworkRole(str, Enum):
    MANAGEMENT = "management"
    BMC = "bmc"
    PROVISIONING = "provisioning"
    STORAGE = "storage"
    TENANT = "tenant"


def _mac(value: str) -> str:
    value = value.lower()
    if not MAC_RE.match(value):
        raise ValueError("not a MAC address (expected six hex pairs like 52:54:00:ab:cd:ef)")
    return value


def _credential_ref(value: str) -> str:
    if not CREDENTIAL_REF_RE.match(value):
        raise ValueError(
            "must be a reference such as 'env:DCCTL_BMC_BAGHDAD' or 'file:baghdad-bmc', "
            "never the secret itself")
    return value


Mac = Annotated[str, AfterValidator(_mac)]
CredentialRef = Annotated[str, AfterValidator(_credential_ref)]


class Site(Strict):
    name: Name
    governorate: str
    region: str = Field(description="OpenStack region name")
    sovereign: bool = Field(False, description="cleared for confidential and secret data")
    description: str = ""
    ntp_servers: list[str] = Field(default_factory=list)
    dns_servers: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = Field(default_factory=list)


class Hall(Strict):
    name: Name
    site: Name
    description: str = ""


class Pdu(Strict):
    name: Name
    feed: Literal["A", "B"]
    capacity_w: int = Field(gt=0)


class Rack(Strict):
    name: Name
    site: Name
    hall: Name
    row: str = ""
    height_u: int = Field(42, ge=1, le=60)
    power_budget_w: int = Field(gt=0)
    pdus: list[Pdu] = Field(default_factory=list)


class Nic(Strict):
    name: str
    mac: Mac
    pxe: bool = False


class Bmc(Strict):
    address: str = Field(pattern=r"^https?://[^/\s]+$",
                         description="Redfish endpoint, e.g. https://10.0.0.5:443")
    system_id: str = Field(min_length=1, description="Redfish system id (the UUID of /redfish/v1/Systems/<id>)")
    credentials: CredentialRef

    @property
    def host(self) -> str:
        return self.address.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")


class SshEndpoint(Strict):
    host: str
    port: int = Field(22, ge=1, le=65535)
    user: str = "root"


class Device(Strict):
    name: Name
    rack: Name
    role: DeviceRole
    position: int | None = Field(None, ge=1, description="lowest rack unit it occupies (1 = bottom)")
    height_u: int = Field(1, ge=0, le=20, description="0 for zero-U (vertical) equipment such as PDUs")
    model: str
    serial: str = Field(min_length=1)
    power_w: int = Field(0, ge=0, description="planned power draw")
    management_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    bmc: Bmc | None = None
    nics: list[Nic] = Field(default_factory=list)
    ssh: SshEndpoint | None = None
    cpus: int | None = Field(None, ge=1)
    memory_mb: int | None = Field(None, ge=1)
    disk_gb: int | None = Field(None, ge=1)
    tags: list[str] = Field(default_factory=list)
    lifecycle: dict[LifecycleStatus, dt.date] = Field(
        default_factory=dict, description="date the device entered each build-out status it reached")

    @property
    def status(self) -> LifecycleStatus | None:
        """The latest status reached; None when the device's lifecycle is not tracked."""
        return max(self.lifecycle, key=lambda s: s.rank) if self.lifecycle else None

    @property
    def status_since(self) -> dt.date | None:
        status = self.status
        return self.lifecycle[status] if status else None

    def reached(self, status: LifecycleStatus) -> bool:
        """True when the device is at ``status`` or later (untracked devices count as in service)."""
        current = self.status
        return current is None or current.rank >= status.rank

    @property
    def is_server(self) -> bool:
        return self.role in SERVER_ROLES

    @property
    def units(self) -> range:
        """The rack units this device occupies (empty for zero-U devices)."""
        if self.position is None or self.height_u == 0:
            return range(0)
        return range(self.position, self.position + self.height_u)


class Network(Strict):
    name: Name
    site: Name
    role: NetworkRole
    vlan: int = Field(ge=1, le=4094, description="802.1Q VLAN id")
    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
    gateway: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    description: str = ""

    @field_validator("prefix", mode="before")
    @classmethod
    def _strict_prefix(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                raise ValueError(f"{exc} (write the network address, e.g. 10.1.2.0/24)") from None
        return value


# The top-level sections a YAML file may hold, and the model of each item.
SECTIONS: dict[str, type[Strict]] = {
    "sites": Site,
    "halls": Hall,
    "racks": Rack,
    "devices": Device,
    "networks": Network,
}
