"""The tenant request: what a ministry, independent entity or governorate asks for.

One YAML file per entity (``tenants/<slug>.yaml``); field declarations here are
the schema the loader checks (unknown keys rejected, with did-you-mean). Checks
that span fields or files live in ``dcctl.tenants.validate``.
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator

from dcctl.inventory.model import Strict

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$",
                             description="lower-case letters, digits and '-', 2 to 40 characters")]
ShortName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$",
                                  description="lower-case letters, digits and '-', 2 to 24 characters")]
LINK_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]/[a-z][a-z0-9-]*[a-z0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
ARABIC_RE = re.compile(r"[\u0600-\u06FF]")

# Iraq's governorates, as written in tenant files (reference data, not configuration).
GOVERNORATES = (
    "Baghdad", "Basra", "Nineveh", "Erbil", "Sulaymaniyah", "Duhok", "Halabja", "Kirkuk", "Diyala",
    "Anbar", "Babil", "Karbala", "Najaf", "Wasit", "Saladin", "Qadisiyyah", "Maysan", "Dhi Qar",
    "Muthanna",
)


class TenantKind(str, Enum):
    MINISTRY = "ministry"
    INDEPENDENT_ENTITY = "independent-entity"
    GOVERNORATE = "governorate"


class Classification(str, Enum):
    """Data classification, in increasing order of sensitivity."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"

    @property
    def rank(self) -> int:
        return list(Classification).index(self)


class Role(str, Enum):
    """Roles a tenant group may hold on its projects (Keystone role names: see ``ROLE_IN_KEYSTONE``)."""

    ADMIN = "admin"
    MEMBER = "member"
    READER = "reader"


# Keystone's own ``admin`` role is cloud-wide in most services' policies: a ministry's
# administrators get the project-scoped ``manager`` persona instead.
ROLE_IN_KEYSTONE = {Role.ADMIN: "manager", Role.MEMBER: "member", Role.READER: "reader"}


def _arabic(value: str) -> str:
    if not ARABIC_RE.search(value):
        raise ValueError("the Arabic name must be written in Arabic letters")
    return value


def _email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError("not an e-mail address")
    return value.lower()


def _link(value: str) -> str:
    if not LINK_RE.match(value):
        raise ValueError("a link is written OWNER/NETWORK, e.g. secretariat/gov-docs")
    return value


def _endpoint(value: str) -> str:
    """``https://host[:port]/path``, ``http://...`` or ``tcp://host:port``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid endpoint URL ({exc})") from None
    if parts.scheme not in ("http", "https", "tcp"):
        raise ValueError("an endpoint URL starts with https://, http:// or tcp://")
    if not parts.hostname:
        raise ValueError("the endpoint URL has no host")
    if parts.scheme == "tcp" and (port is None or parts.path not in ("", "/")):
        raise ValueError("a tcp endpoint is written tcp://HOST:PORT")
    return value.strip()


def _network(value: object) -> object:
    if isinstance(value, str):
        try:
            ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{exc} (write the network address, e.g. 10.20.0.0/24)") from None
    return value


class Names(Strict):
    en: str = Field(min_length=2, description="English name")
    ar: Annotated[str, AfterValidator(_arabic)] = Field(description="Arabic name")


class Contact(Strict):
    name: str = Field(min_length=2)
    role: Literal["technical", "security", "administrative"] = "technical"
    email: Annotated[str, AfterValidator(_email)]
    phone: str = ""


class ComputeQuota(Strict):
    cores: int | None = Field(None, ge=0)
    ram_gb: int | None = Field(None, ge=0)
    instances: int | None = Field(None, ge=0)


class VolumeQuota(Strict):
    volumes: int | None = Field(None, ge=0)
    gigabytes: int | None = Field(None, ge=0)
    snapshots: int | None = Field(None, ge=0)


class NetworkQuota(Strict):
    networks: int | None = Field(None, ge=0)
    subnets: int | None = Field(None, ge=0)
    ports: int | None = Field(None, ge=0)
    routers: int | None = Field(None, ge=0)
    floating_ips: int | None = Field(None, ge=0)
    security_groups: int | None = Field(None, ge=0)


class Quota(Strict):
    """Limits per service; a field left out keeps the cloud's default (dcctl does not manage it)."""

    compute: ComputeQuota = Field(default_factory=ComputeQuota)
    volume: VolumeQuota = Field(default_factory=VolumeQuota)
    network: NetworkQuota = Field(default_factory=NetworkQuota)

    def flat(self) -> dict[str, int]:
        """``{"compute.cores": 64, ...}`` for the fields that are set, in a stable order."""
        out: dict[str, int] = {}
        for section in ("compute", "volume", "network"):
            for name, value in getattr(self, section).model_dump().items():
                if value is not None:
                    out[f"{section}.{name}"] = value
        return out


class NetworkSpec(Strict):
    name: ShortName
    cidr: Annotated[ipaddress.IPv4Network | ipaddress.IPv6Network, BeforeValidator(_network)]
    router: bool = Field(False, description="attach to the project's router")
    external_gateway: bool = Field(False, description="the project's router gets a gateway to the external network")
    shared: bool = Field(False, description="other tenants may link to this network")
    dhcp: bool = True
    description: str = ""


PORTS_RE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


class RuleSpec(Strict):
    direction: Literal["ingress", "egress"] = "ingress"
    protocol: Literal["tcp", "udp", "icmp", "any"]
    ports: int | str | None = Field(None, description="443 or 8000-8080 (tcp and udp only)")
    remote: Annotated[ipaddress.IPv4Network | ipaddress.IPv6Network | None, BeforeValidator(_network)] = None
    remote_group: ShortName | None = Field(None, description="a security group of the same project")
    description: str = ""

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: int | str | None, info: ValidationInfo) -> int | str | None:
        if value is None:
            return value
        protocol = info.data.get("protocol")
        if protocol is not None and protocol not in ("tcp", "udp"):
            raise ValueError(f"ports apply to tcp and udp only, not {protocol}")
        match = PORTS_RE.match(str(value).strip())
        low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
        if not match or not (1 <= low <= high <= 65535):
            raise ValueError("ports are a number from 1 to 65535 or a range such as 8000-8080")
        return value

    @field_validator("remote_group")
    @classmethod
    def _one_remote(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("remote") is not None:
            raise ValueError("give either remote (a CIDR) or remote_group, not both")
        return value

    @property
    def port_range(self) -> tuple[int | None, int | None]:
        if self.ports is None:
            return None, None
        match = PORTS_RE.match(str(self.ports).strip())
        assert match
        return int(match.group(1)), int(match.group(2) or match.group(1))


class SecurityGroupSpec(Strict):
    name: ShortName
    description: str = ""
    restrict_egress: bool = Field(False, description="no implicit allow-all egress rules")
    rules: list[RuleSpec] = Field(default_factory=list)


class GroupSpec(Strict):
    name: ShortName
    role: Role
    scope: str = Field("tenant", description="'tenant' (top project), 'all' (with directorates) or a directorate slug")
    description: str = ""


Link = Annotated[str, AfterValidator(_link)]


class DirectorateSpec(Strict):
    """A child project of the tenant: a directorate in the capital or a governorate."""

    slug: Slug
    name: Names
    governorate: str
    site: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] | None = None
    phase: int | None = Field(None, ge=1, le=3, description="defaults to the tenant's phase")
    quota: Quota = Field(default_factory=Quota)
    networks: list[NetworkSpec] = Field(default_factory=list)
    security_groups: list[SecurityGroupSpec] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


# The citizen portal's categories (reference data): a catalogued service sits in one of them.
PORTAL_CATEGORIES = (
    "payments", "certificates", "real-estate", "customs-and-trade", "taxes", "civil-status",
    "education", "health", "justice", "transport", "utilities", "employment", "portal",
)


def _status_list(value: object) -> object:
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


class ServiceExpect(Strict):
    """What a healthy answer looks like (HTTP and HTTPS services only)."""

    status: Annotated[list[Annotated[int, Field(ge=100, le=599)]], BeforeValidator(_status_list)] = Field(
        default_factory=lambda: [200], min_length=1, description="accepted HTTP status code(s)")
    contains: str | None = Field(None, min_length=1, description="text the answer's body must contain")


class ServiceSpec(Strict):
    """A public e-service the tenant runs, probed by ``dcctl service check`` and the exporter.

    Only the catalogue reads this list: tenant plans ignore it. Checks that need the whole
    catalogue (unique slugs, the owner directorate, protocol and endpoints agreeing) are in
    ``dcctl.services.validate``.
    """

    slug: Slug
    name: Names
    directorate: Slug | None = Field(None, description="owning directorate; none: the tenant itself")
    category: ShortName = Field(description="the citizen portal's category")
    criticality: Literal["critical", "high", "medium", "low"]
    protocol: Literal["http", "https", "tcp"] | None = Field(None, description="defaults to the endpoints' scheme")
    endpoints: list[Annotated[str, AfterValidator(_endpoint)]] = Field(min_length=1)
    expect: ServiceExpect = Field(default_factory=ServiceExpect)
    timeout: float = Field(5.0, gt=0, le=60, description="seconds a probe waits for the answer")
    ca_bundle: str | None = Field(None, min_length=1, description="PEM file of CAs to trust (https)")
    description: str = ""


class TenantSpec(Strict):
    slug: Slug
    name: Names
    kind: TenantKind
    phase: int = Field(ge=1, le=3)
    sites: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]] = Field(min_length=1)
    classification: Classification
    description: str = ""
    contacts: list[Contact] = Field(min_length=1)
    quota: Quota = Field(default_factory=Quota)
    networks: list[NetworkSpec] = Field(default_factory=list)
    security_groups: list[SecurityGroupSpec] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    groups: list[GroupSpec] = Field(default_factory=list)
    directorates: list[DirectorateSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)  # the e-service catalogue; not planned


class MonitoringAccess(Strict):
    """The Keystone group whose members (the exporter's account) may read every tenant.

    Nova, Cinder and Neutron show a project's quota and usage only to a token scoped to
    that project: the group gets ``role`` on each tenant domain, inherited by its projects.
    """

    group: str = Field(min_length=1, description="Keystone group name")
    domain: str = Field("Default", description="the Keystone domain the group lives in")
    role: str = Field("reader", description="a read-only role")


class Policy(Strict):
    """The data centre's own rules (``tenants/_policy.yaml``), not a tenant's request."""

    external_network: str = Field("public", description="Neutron external network for router gateways")
    secret_link_allowlist: list[Link] = Field(
        default_factory=list, description="shared networks that secret tenants may link to")
    monitoring: MonitoringAccess | None = Field(
        None, description="read-only access to every tenant for the exporter (quota use)")
