"""Tenant metrics: quota limit and use per tenant, project and resource, and tenant drift.

The exporter's account is read-only. Keystone lists every project only to a
system-scoped token; Nova, Cinder and Neutron show a project's quota and usage
only to a token scoped to that project, which the account has through the
policy's monitoring group (``tenants/_policy.yaml`` ``monitoring``: an inherited
``reader`` on every tenant domain, granted by ``dcctl tenant apply``).

Per cycle: five Keystone lists, then for each managed project three quota reads
and six Neutron lists with its own token (kept between cycles, so a token is
issued once per project per token lifetime). The Neutron lists rebuild the bulk
snapshot an admin would read in six calls; the tenant planner then counts what
differs from the YAML, as ``dcctl tenant drift`` does.

Resource names and units are the tenant YAML's (``cores``, ``ram_gb``,
``gigabytes``, ...), so an alert names the line to edit.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("dcctl.exporter")

KEYSTONE_LISTS = ("domains", "projects", "groups", "roles", "role_assignments")
NEUTRON_LISTS = ("networks", "subnets", "routers", "router_ports", "security_groups", "rbac_policies")


@dataclass
class Endpoint:
    """A service's base URL reached through one session (an adapter ``list_all`` can use)."""

    session: Any
    base: str

    def get(self, path: str, raise_exc: bool = False):
        return self.session.get(self.base.rstrip("/") + path, raise_exc=raise_exc)


@dataclass
class ProjectRead:
    """What one project's token could read: quota sets in detail form, and its Neutron lists."""

    quotas: dict[str, dict] = field(default_factory=dict)
    lists: dict[str, list[dict]] = field(default_factory=dict)
    error: str = ""


def usage_rows(detail: dict[str, dict]) -> list[tuple[str, str, float | None, float]]:
    """Detail quota sets -> ``(service, YAML resource, limit or None when unlimited, used)``."""
    from dcctl.tenants.mapping import QUOTA_FIELDS

    rows = []
    for name, (service, api_field, scale) in QUOTA_FIELDS.items():
        entry = detail.get(service, {}).get(api_field)
        if not isinstance(entry, dict) or name == "network.rbac_policies":
            continue
        limit = entry.get("limit")
        used = entry.get("in_use", entry.get("used", 0)) or 0
        rows.append((service, name.split(".", 1)[1], None if limit is None or limit < 0 else limit / scale,
                     used / scale))
    return rows


def plain_quotas(detail: dict[str, dict]) -> dict[str, dict]:
    """Detail quota sets -> the plain ``{field: limit}`` sets the tenant planner compares."""
    return {service: {k: (v.get("limit") if isinstance(v, dict) else v) for k, v in sets.items()}
            for service, sets in detail.items()}


def merged_snapshot(keystone: dict[str, list[dict]], reads: dict[str, ProjectRead]):
    """One snapshot from the Keystone lists and every project's Neutron lists (shared objects once)."""
    from dcctl.tenants.snapshot import Snapshot

    lists: dict[str, dict[str, dict]] = {name: {} for name in NEUTRON_LISTS}
    for read in reads.values():
        for name, items in read.lists.items():
            for item in items:
                lists[name].setdefault(item["id"], item)
    snap = Snapshot(**keystone, **{name: list(items.values()) for name, items in lists.items()})
    snap.quotas = {pid: plain_quotas(read.quotas) for pid, read in reads.items() if read.quotas}
    return snap


class TenantCollector:
    """Called once per cycle by the exporter; keeps its connection and per-project tokens."""

    def __init__(self, cloud: str, tenants_dir: Path, concurrency: int = 8) -> None:
        self.cloud = cloud
        self.tenants_dir = Path(tenants_dir)
        self.concurrency = concurrency
        self._conn = None
        self._system = None
        self._bases: dict[str, str] = {}  # service -> endpoint URL, read once per connection
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- I/O ------------------------------------------------------------------------
    def _connection(self):
        from dcctl.core.cloud import connect, rescoped_session

        if self._conn is None:
            conn = connect(self.cloud)
            self._bases = {s: getattr(conn, s).get_endpoint_data().url
                           for s in ("identity", "network", "compute", "block_storage")}
            self._system = rescoped_session(conn, system=True)
            self._conn = conn
        return self._conn

    def _session(self, project_id: str):
        from dcctl.core.cloud import rescoped_session

        with self._lock:
            if project_id not in self._sessions:
                self._sessions[project_id] = rescoped_session(self._conn, project_id=project_id)
            return self._sessions[project_id]

    def _read_keystone(self) -> dict[str, list[dict]]:
        from dcctl.tenants.snapshot import LISTS, list_all

        identity = Endpoint(self._system, self._bases["identity"])
        with ThreadPoolExecutor(max_workers=len(KEYSTONE_LISTS), thread_name_prefix="tenants-ks") as pool:
            found = pool.map(lambda n: (n, list_all(identity, LISTS[n][1], LISTS[n][2])), KEYSTONE_LISTS)
            return dict(found)

    def _read_project(self, project_id: str) -> ProjectRead:
        from dcctl.tenants.snapshot import LISTS, get_json, list_all

        session = self._session(project_id)
        admin_project = self._conn.current_project_id
        volume_base = self._bases["block_storage"].replace(admin_project, project_id)
        network = Endpoint(session, self._bases["network"])
        read = ProjectRead()
        try:
            read.quotas = {
                "compute": get_json(Endpoint(session, self._bases["compute"]),
                                    f"/os-quota-sets/{project_id}/detail")["quota_set"],
                "volume": get_json(Endpoint(session, volume_base), f"/os-quota-sets/{project_id}?usage=true")["quota_set"],
                "network": get_json(network, f"/quotas/{project_id}/details")["quota"],
            }
            read.lists = {name: list_all(network, LISTS[name][1], LISTS[name][2]) for name in NEUTRON_LISTS}
        except Exception as exc:  # noqa: BLE001 - one unreadable project must not hide the others
            read.error = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return read

    def __call__(self) -> list:
        from dcctl.core.problems import errors_in
        from dcctl.tenants import load_tenants
        from dcctl.tenants.mapping import is_managed_tags, tag_value

        tenants, problems = load_tenants(self.tenants_dir)
        try:
            self._connection()
            keystone = self._read_keystone()
        except Exception:
            self._conn = None  # reconnect next cycle (the cloud or the account may have changed)
            raise
        projects = [p for p in keystone["projects"] if is_managed_tags(p.get("tags"))]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="tenants") as pool:
            reads = dict(zip((p["id"] for p in projects), pool.map(self._read_project, (p["id"] for p in projects))))
        unreadable = [p for p in projects if reads[p["id"]].error]
        if unreadable:
            log.warning("tenants: %d project(s) unreadable by the exporter's account (is it in the policy's "
                        "monitoring group?): %s: %s", len(unreadable), ", ".join(p["name"] for p in unreadable[:5]),
                        reads[unreadable[0]["id"]].error)
        # drift needs every project of the YAML's tenants (another tenant's project may vanish
        # mid-cycle, being destroyed: that must not hide the drift of the others)
        blind = [p for p in unreadable if tag_value(p.get("tags"), "tenant") in tenants.tenants]
        drift = None
        if not errors_in(problems) and not blind:
            drift = tenant_drift(tenants, merged_snapshot(keystone, reads))
        return families(projects, reads, drift, tag_value)


def tenant_drift(tenants, snap) -> int:
    """What ``dcctl tenant drift`` counts: changes the plan would make to applied tenants."""
    from dcctl.tenants.plan import PlanOptions, plan_tenants

    plan, _problems = plan_tenants(tenants, snap, PlanOptions(existing_only=True, refresh=True))
    return len(plan.actions)


def families(projects: list[dict], reads: dict[str, ProjectRead], drift: int | None, tag_value) -> list:
    from prometheus_client.core import GaugeMetricFamily

    labels = ["tenant", "project", "service", "resource"]
    limit = GaugeMetricFamily("dcctl_tenant_quota_limit", "Quota limit (YAML units; absent when unlimited).",
                              labels=labels)
    usage = GaugeMetricFamily("dcctl_tenant_quota_usage", "Quota in use (YAML units).", labels=labels)
    info = GaugeMetricFamily("dcctl_tenant_project_info", "A managed project, its tenant, kind, phase and "
                             "classification (always 1).",
                             labels=["tenant", "project", "kind", "phase", "classification"])
    readable = GaugeMetricFamily("dcctl_tenant_project_readable",
                                 "1 when the exporter's account could read the project's quotas.",
                                 labels=["tenant", "project"])
    for project in sorted(projects, key=lambda p: p["name"]):
        tags = project.get("tags")
        tenant = tag_value(tags, "tenant") or ""
        read = reads[project["id"]]
        info.add_metric([tenant, project["name"], tag_value(tags, "kind") or "", tag_value(tags, "phase") or "",
                         tag_value(tags, "classification") or ""], 1)
        readable.add_metric([tenant, project["name"]], 0 if read.error else 1)
        for service, resource, lim, used in usage_rows(read.quotas):
            key = [tenant, project["name"], service, resource]
            usage.add_metric(key, used)
            if lim is not None:
                limit.add_metric(key, lim)
    out = [limit, usage, info, readable]
    if drift is not None:
        items = GaugeMetricFamily("dcctl_drift_items", "Differences between the YAML and the cloud.", labels=["kind"])
        items.add_metric(["tenant"], drift)
        out.append(items)
    return out
