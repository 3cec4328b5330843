"""How a tenant request maps to OpenStack: names, tags, markers and quota fields.

- one Keystone domain per tenant, named by its slug and tagged ``managed-by-dcctl``;
- a top project (the slug) and a child project per directorate (``parent_id``), tagged
  with tenant, kind, phase, classification, sites and the digest of the applied quota;
- groups ``<tenant>-<group>`` in the domain (Keystone groups have no tags: the marker is
  in the description);
- Neutron networks, subnets, routers and security groups named ``<project>-<name>``;
  the marker is the end of their description (this Neutron refuses tags on create, and
  a second call per object to add them would double the cost of an apply);
- Neutron RBAC ``access_as_shared`` policies for links (managed when the network is).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from dcctl.tenants.model import Names, RuleSpec, SecurityGroupSpec
from dcctl.tenants.tenant_set import ProjectView

MANAGED_TAG = "managed-by-dcctl"
MANAGED_MARK = "[managed-by-dcctl]"
TAG_PREFIX = "dcctl:"
QUOTA_TAG = "dcctl:quota="

# YAML quota field -> (service, API field, scale from YAML unit to API unit)
QUOTA_FIELDS: dict[str, tuple[str, str, int]] = {
    "compute.cores": ("compute", "cores", 1),
    "compute.ram_gb": ("compute", "ram", 1024),
    "compute.instances": ("compute", "instances", 1),
    "volume.volumes": ("volume", "volumes", 1),
    "volume.gigabytes": ("volume", "gigabytes", 1),
    "volume.snapshots": ("volume", "snapshots", 1),
    "network.networks": ("network", "network", 1),
    "network.subnets": ("network", "subnet", 1),
    "network.ports": ("network", "port", 1),
    "network.routers": ("network", "router", 1),
    "network.floating_ips": ("network", "floatingip", 1),
    "network.security_groups": ("network", "security_group", 1),
    "network.rbac_policies": ("network", "rbac_policy", 1),  # derived, see desired_quota
}
NEUTRON_KINDS = frozenset({"network", "subnet", "router", "router-interface", "security-group",
                           "security-group-rules"})


def description(names: Names, extra: str = "") -> str:
    text = f"{names.en} — {names.ar}"
    return f"{text}: {extra}" if extra else text


def marked(text: str) -> str:
    """A Neutron or group description carrying dcctl's marker."""
    return f"{text} {MANAGED_MARK}".strip()


def is_marked(text: str | None) -> bool:
    return bool(text) and text.rstrip().endswith(MANAGED_MARK)


def is_managed_tags(tags: list[str] | None) -> bool:
    return MANAGED_TAG in (tags or [])


def _tag_value(value: str) -> str:
    # Keystone tags may not hold '/' or ','
    return value.lower().replace(" ", "-").replace("/", "-").replace(",", "-")


def domain_tags(tenant_slug: str) -> list[str]:
    return [MANAGED_TAG, f"{TAG_PREFIX}tenant={tenant_slug}"]


def project_tags(project: ProjectView) -> list[str]:
    """The tags that describe a project (the quota digest is added once the quota is applied)."""
    kind = project.tenant.kind.value if project.is_top else "directorate"
    tags = [MANAGED_TAG, f"{TAG_PREFIX}tenant={project.tenant.slug}", f"{TAG_PREFIX}kind={kind}",
            f"{TAG_PREFIX}phase={project.phase}",
            f"{TAG_PREFIX}classification={project.classification.value}"]
    tags += [f"{TAG_PREFIX}site={_tag_value(s)}" for s in project.sites]
    if project.directorate is not None:
        tags.append(f"{TAG_PREFIX}governorate={_tag_value(project.directorate.governorate)}")
    return tags


def tag_value(tags: list[str] | None, name: str) -> str | None:
    prefix = f"{TAG_PREFIX}{name}="
    return next((t[len(prefix):] for t in tags or [] if t.startswith(prefix)), None)


def recorded_quota(tags: list[str] | None) -> str | None:
    return tag_value(tags, "quota")


def without_quota_tag(tags: list[str] | None) -> list[str]:
    return [t for t in tags or [] if not t.startswith(QUOTA_TAG)]


def with_quota_tag(tags: list[str], digest: str) -> list[str]:
    return without_quota_tag(tags) + [f"{QUOTA_TAG}{digest}"]


def network_name(project_slug: str, name: str) -> str:
    return f"{project_slug}-{name}"


def router_name(project_slug: str) -> str:
    return f"{project_slug}-router"


def security_group_name(project_slug: str, name: str) -> str:
    return f"{project_slug}-{name}"


def group_name(tenant_slug: str, name: str) -> str:
    return f"{tenant_slug}-{name}"


# -- quotas ------------------------------------------------------------------------------

def quota_bodies(flat: dict[str, int]) -> dict[str, dict[str, int]]:
    """``{"compute.ram_gb": 8}`` -> ``{"compute": {"ram": 8192}}``: one body per service."""
    bodies: dict[str, dict[str, int]] = {}
    for name, value in flat.items():
        service, api_field, scale = QUOTA_FIELDS[name]
        bodies.setdefault(service, {})[api_field] = value * scale if value >= 0 else value
    return bodies


def flat_from_live(live: dict[str, dict[str, Any]], wanted: list[str] | None = None) -> dict[str, Any]:
    """Live quota sets per service -> YAML field names (ram back to GB)."""
    out: dict[str, Any] = {}
    for name, (service, api_field, scale) in QUOTA_FIELDS.items():
        if wanted is not None and name not in wanted:
            continue
        value = live.get(service, {}).get(api_field)
        if isinstance(value, dict):  # detail form: {"limit": .., "in_use": ..}
            value = value.get("limit")
        if value is None:
            continue
        out[name] = value // scale if value % scale == 0 or value < 0 else value / scale
    return out


def desired_quota(project: ProjectView) -> dict[str, int]:
    """The limits dcctl sets on a project: the request's, plus what its shared networks need.

    Neutron counts a link's RBAC policy against the network owner's ``rbac_policy`` quota
    (10 by default); who may link is decided by the requests, so an owner of a shared
    network gets no limit there.
    """
    flat = project.quota.flat()
    if any(n.shared for n in project.networks):
        flat["network.rbac_policies"] = -1
    return flat


def quota_digest(flat: dict[str, int]) -> str:
    """A short hash of the limits, recorded on the project once they are applied."""
    text = json.dumps(flat, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# -- security group rules ------------------------------------------------------------------

RuleKey = tuple[str, str, str | None, int | None, int | None, str | None, str | None]


def _prefix(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return None if text in ("0.0.0.0/0", "::/0") else text


def desired_rules(project_slug: str, group: SecurityGroupSpec) -> list[RuleKey]:
    """The rules a group should hold; remote groups by their Neutron name."""
    rules: list[RuleKey] = [rule_key(project_slug, r) for r in group.rules]
    if not group.restrict_egress:
        rules += [("egress", "IPv4", None, None, None, None, None), ("egress", "IPv6", None, None, None, None, None)]
    return sorted(set(rules), key=str)


def rule_key(project_slug: str, rule: RuleSpec) -> RuleKey:
    low, high = rule.port_range
    ethertype = "IPv6" if rule.remote is not None and rule.remote.version == 6 else "IPv4"
    protocol = None if rule.protocol == "any" else rule.protocol
    remote_group = security_group_name(project_slug, rule.remote_group) if rule.remote_group else None
    return (rule.direction, ethertype, protocol, low, high, _prefix(rule.remote), remote_group)


def live_rule_key(rule: dict[str, Any], group_names: dict[str, str]) -> RuleKey:
    return (rule["direction"], rule.get("ethertype") or "IPv4", rule.get("protocol") or None,
            rule.get("port_range_min"), rule.get("port_range_max"), _prefix(rule.get("remote_ip_prefix")),
            group_names.get(rule.get("remote_group_id") or "", rule.get("remote_group_id")))


def rule_text(key: RuleKey) -> str:
    direction, ethertype, protocol, low, high, prefix, group = key
    ports = "" if low is None else f" {low}" if low == high else f" {low}-{high}"
    peer = group or prefix or ("any" if ethertype == "IPv4" else "any IPv6")
    word = "from" if direction == "ingress" else "to"
    return f"{direction} {protocol or 'any'}{ports} {word} {peer}"


def rule_body(key: RuleKey, group_id: Any, remote_group_id: Any = None) -> dict[str, Any]:
    direction, ethertype, protocol, low, high, prefix, _group = key
    body: dict[str, Any] = {"security_group_id": group_id, "direction": direction, "ethertype": ethertype}
    if protocol:
        body["protocol"] = protocol
    if low is not None:
        body["port_range_min"], body["port_range_max"] = low, high
    if prefix:
        body["remote_ip_prefix"] = prefix
    if remote_group_id:
        body["remote_group_id"] = remote_group_id
    return body
