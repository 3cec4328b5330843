"""Read the live cloud in bulk: one list call per resource type, never a GET per object.

A no-op plan over hundreds of tenants costs about a dozen list calls (plus the
token and version discovery). Quotas are the exception: Nova and Cinder only
read them per project. Instead of reading 2-3 quota sets per project on every
plan, the apply records a digest of the quota it set in a project tag
(``dcctl:quota=<digest>``); the plan reads quotas only for projects whose
desired digest differs from the recorded one. ``drift`` (and ``plan
--refresh``) read every managed project's quotas, in parallel, to find changes
made by hand behind the tag's back.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dcctl.tenants.mapping import is_managed_tags


@dataclass
class Snapshot:
    """Raw API objects by type, with the lookups the planner needs."""

    domains: list[dict] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)
    role_assignments: list[dict] = field(default_factory=list)
    networks: list[dict] = field(default_factory=list)
    subnets: list[dict] = field(default_factory=list)
    routers: list[dict] = field(default_factory=list)
    router_ports: list[dict] = field(default_factory=list)  # device_owner network:router_interface
    security_groups: list[dict] = field(default_factory=list)
    rbac_policies: list[dict] = field(default_factory=list)
    quotas: dict[str, dict[str, dict]] = field(default_factory=dict)  # project id -> service -> set

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        self.domain_by_name = {d["name"]: d for d in self.domains}
        self.domain_by_id = {d["id"]: d for d in self.domains}
        self.project_by_id = {p["id"]: p for p in self.projects}
        self.project_by_name = {(p["domain_id"], p["name"]): p for p in self.projects}
        self.group_by_name = {(g["domain_id"], g["name"]): g for g in self.groups}
        self.role_by_name = {r["name"]: r for r in self.roles}
        self.role_by_id = {r["id"]: r for r in self.roles}
        self.network_by_name = {(n["project_id"], n["name"]): n for n in self.networks}
        # Neutron lets two networks (routers, groups) share a name in a project; the lookups
        # above keep one, so the planner asks here before trusting them
        self.same_name: dict[tuple[str, str, str], list[str]] = {}
        for kind, items in (("network", self.networks), ("router", self.routers),
                            ("security group", self.security_groups)):
            seen: dict[tuple[str, str], list[str]] = {}
            for item in items:
                seen.setdefault((item.get("project_id", ""), item.get("name", "")), []).append(item["id"])
            self.same_name.update({(kind, *k): sorted(ids) for k, ids in seen.items() if len(ids) > 1})
        self.network_by_id = {n["id"]: n for n in self.networks}
        self.subnets_of: dict[str, list[dict]] = {}
        for s in self.subnets:
            self.subnets_of.setdefault(s["network_id"], []).append(s)
        self.subnet_by_id = {s["id"]: s for s in self.subnets}
        self.router_by_name = {(r["project_id"], r["name"]): r for r in self.routers}
        self.router_by_id = {r["id"]: r for r in self.routers}
        self.interfaces_of: dict[str, dict[str, str]] = {}  # router id -> subnet id -> port id
        for port in self.router_ports:
            for ip in port.get("fixed_ips", []):
                self.interfaces_of.setdefault(port["device_id"], {})[ip["subnet_id"]] = port["id"]
        self.sg_by_name = {(g["project_id"], g["name"]): g for g in self.security_groups}
        self.sg_by_id = {g["id"]: g for g in self.security_groups}
        self.grants: set[tuple[str, str, str]] = set()  # (group id, project id, role id)
        for a in self.role_assignments:
            if "group" in a and "project" in a.get("scope", {}):
                self.grants.add((a["group"]["id"], a["scope"]["project"]["id"], a["role"]["id"]))
        # (group id, domain id, role id, inherited to the domain's projects)
        self.domain_grants: set[tuple[str, str, str, bool]] = set()
        for a in self.role_assignments:
            if "group" in a and "domain" in a.get("scope", {}):
                inherited = a["scope"].get("OS-INHERIT:inherited_to") == "projects"
                self.domain_grants.add((a["group"]["id"], a["scope"]["domain"]["id"], a["role"]["id"], inherited))
        self.shares: dict[tuple[str, str], dict] = {}  # (network id, target project id) -> rbac policy
        for r in self.rbac_policies:
            if r.get("object_type") == "network" and r.get("action") == "access_as_shared":
                self.shares[(r["object_id"], r["target_tenant"])] = r

    def external_network(self, name: str) -> dict | None:
        return next((n for n in self.networks if n["name"] == name and n.get("router:external")), None)

    def managed_projects(self) -> list[dict]:
        return [p for p in self.projects if is_managed_tags(p.get("tags"))]


# resource type -> (service, path, key in the answer)
LISTS: dict[str, tuple[str, str, str]] = {
    "domains": ("identity", "/domains", "domains"),
    "projects": ("identity", "/projects", "projects"),
    "groups": ("identity", "/groups", "groups"),
    "roles": ("identity", "/roles", "roles"),
    "role_assignments": ("identity", "/role_assignments", "role_assignments"),
    "networks": ("network", "/networks", "networks"),
    "subnets": ("network", "/subnets", "subnets"),
    "routers": ("network", "/routers", "routers"),
    "router_ports": ("network", "/ports?device_owner=network:router_interface", "ports"),
    "security_groups": ("network", "/security-groups", "security_groups"),
    "rbac_policies": ("network", "/rbac-policies", "rbac_policies"),
}


def read_snapshot(conn, *, concurrency: int = 6) -> Snapshot:
    """Every list at once (in parallel); raises ``ServiceError`` when the cloud does not answer."""
    from dcctl.core.cloud import service_error

    def one(name: str) -> tuple[str, list[dict]]:
        service, path, key = LISTS[name]
        return name, list_all(getattr(conn, service), path, key)

    _warm_up(conn)
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="snapshot") as pool:
            found = dict(pool.map(one, LISTS))
    except Exception as exc:  # noqa: BLE001 - any failure to read is a service failure
        raise service_error(exc, "reading the cloud failed") from exc
    return Snapshot(**found)


def _warm_up(conn) -> None:
    """Authenticate once before the parallel reads, so they do not all fetch a token."""
    from dcctl.core.cloud import retrying_read, service_error

    try:
        retrying_read(conn.session.get_token)
    except Exception as exc:  # noqa: BLE001
        raise service_error(exc, "cannot authenticate to the cloud") from exc


def list_all(adapter, path: str, key: str) -> list[dict]:
    """A list call, following pagination links when the service paginates."""
    items: list[dict] = []
    url: str | None = path
    while url:
        body = get_json(adapter, url)
        items.extend(body.get(key, []))
        url = _next_link(body, key)
    return items


def _next_link(body: dict, key: str) -> str | None:
    links = body.get(f"{key}_links") or []
    if isinstance(links, list):  # Neutron
        return next((link["href"] for link in links if link.get("rel") == "next"), None)
    nxt = body.get("links", {}).get("next") if isinstance(body.get("links"), dict) else None
    return nxt or None


def get_json(adapter, path: str) -> dict:
    """One GET, repeated on a transient fault (reads are safe to repeat)."""
    from openstack import exceptions

    from dcctl.core.cloud import retrying_read

    def once() -> dict:
        response = adapter.get(path, raise_exc=False)
        exceptions.raise_from_response(response)
        return response.json()

    return retrying_read(once)


def read_quotas(conn, project_ids: Iterable[str], *, concurrency: int = 8) -> dict[str, dict[str, dict]]:
    """Live quota sets of some projects: Neutron in one call when many, Nova and Cinder per project."""
    from dcctl.core.cloud import retrying_read, service_error

    ids = sorted(set(project_ids))
    if not ids:
        return {}
    out: dict[str, dict[str, dict]] = {pid: {} for pid in ids}
    neutron: dict[str, dict] = {}
    try:
        if len(ids) > 3:  # the bulk list holds every project with non-default quotas
            neutron = {q["project_id"]: q for q in get_json(conn.network, "/quotas").get("quotas", [])
                       if q.get("project_id") in out}

        def one(job: tuple[str, str]) -> tuple[str, str, dict]:
            pid, service = job
            # the first use of a service discovers its API version: a read, retried like one
            adapter = retrying_read(lambda: getattr(conn, "block_storage" if service == "volume" else service))
            if service in ("compute", "volume"):
                return pid, service, get_json(adapter, f"/os-quota-sets/{pid}")["quota_set"]
            return pid, service, get_json(adapter, f"/quotas/{pid}")["quota"]

        jobs = [(pid, s) for pid in ids for s in ("compute", "volume", "network")
                if not (s == "network" and pid in neutron)]
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="quotas") as pool:
            for pid, service, data in pool.map(one, jobs):
                out[pid][service] = data
    except Exception as exc:  # noqa: BLE001
        raise service_error(exc, "reading quotas failed") from exc
    for pid, data in neutron.items():
        out[pid]["network"] = data
    return out


def read_usage(conn, project_id: str) -> dict[str, dict[str, Any]]:
    """Limits and use of one project (for ``tenant show``)."""
    return {
        "compute": get_json(conn.compute, f"/os-quota-sets/{project_id}/detail")["quota_set"],
        "volume": get_json(conn.block_storage, f"/os-quota-sets/{project_id}?usage=true")["quota_set"],
        "network": get_json(conn.network, f"/quotas/{project_id}/details")["quota"],
    }
