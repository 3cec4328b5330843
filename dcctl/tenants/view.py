"""A tenant as it lives in the cloud: projects, quota use, networks, links, groups (``tenant show``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dcctl.tenants.mapping import QUOTA_FIELDS, is_managed_tags, is_marked, tag_value
from dcctl.tenants.snapshot import Snapshot, read_usage


def tenant_view(conn, snap: Snapshot, slug: str) -> dict[str, Any] | None:
    """Everything about one tenant, read live; None when its domain does not exist."""
    domain = snap.domain_by_name.get(slug)
    if domain is None:
        return None
    projects = [p for p in snap.projects if p["domain_id"] == domain["id"]]
    projects.sort(key=lambda p: (p.get("parent_id") != domain["id"], p["name"]))
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="usage") as pool:
        usage = dict(zip([p["id"] for p in projects], pool.map(lambda p: read_usage(conn, p["id"]), projects)))
    return {
        "tenant": slug,
        "domain": {"id": domain["id"], "description": domain.get("description"),
                   "managed": is_managed_tags(domain.get("tags"))},
        "projects": [_project(snap, p, usage[p["id"]]) for p in projects],
        "groups": _groups(snap, domain["id"]),
    }


def _project(snap: Snapshot, project: dict, usage: dict) -> dict[str, Any]:
    tags = project.get("tags") or []
    networks = [n for n in snap.networks if n.get("project_id") == project["id"]]
    shared_in = [snap.network_by_id[n] for (n, target) in snap.shares if target == project["id"] and n in snap.network_by_id]
    return {
        "name": project["name"], "id": project["id"], "description": project.get("description"),
        "managed": is_managed_tags(tags),
        "parent": snap.project_by_id.get(project.get("parent_id") or "", {}).get("name"),
        "phase": tag_value(tags, "phase"), "classification": tag_value(tags, "classification"),
        "kind": tag_value(tags, "kind"), "quota_digest": tag_value(tags, "quota"),
        "quota": _quota_rows(usage),
        "networks": [{
            "name": n["name"], "managed": is_marked(n.get("description")),
            "cidrs": [s["cidr"] for s in snap.subnets_of.get(n["id"], [])],
            "shared_with": sorted(snap.project_by_id.get(t, {}).get("name", t)
                                  for (nid, t) in snap.shares if nid == n["id"]),
        } for n in networks],
        "links": sorted(n["name"] for n in shared_in),
        "routers": [{"name": r["name"], "external_gateway": bool(r.get("external_gateway_info")),
                     "interfaces": len(snap.interfaces_of.get(r["id"], {}))}
                    for r in snap.routers if r.get("project_id") == project["id"]],
        "security_groups": sorted(g["name"] for g in snap.security_groups if g.get("project_id") == project["id"]),
    }


def _quota_rows(usage: dict) -> list[dict[str, Any]]:
    rows = []
    for name, (service, api_field, scale) in QUOTA_FIELDS.items():
        entry = usage.get(service, {}).get(api_field)
        if not isinstance(entry, dict):
            continue
        limit = entry.get("limit")
        used = entry.get("in_use", entry.get("used", 0))
        if scale != 1:
            limit = limit / scale if limit is not None and limit >= 0 else limit
            used = used / scale
        rows.append({"quota": name, "limit": limit, "used": used})
    return rows


def _groups(snap: Snapshot, domain_id: str) -> list[dict[str, Any]]:
    out = []
    for group in snap.groups:
        if group["domain_id"] != domain_id:
            continue
        grants = sorted(f"{snap.role_by_id.get(r, {}).get('name', r)} on {snap.project_by_id.get(p, {}).get('name', p)}"
                        for g, p, r in snap.grants if g == group["id"])
        grants += sorted(f"{snap.role_by_id.get(r, {}).get('name', r)} on domain "
                         f"{snap.domain_by_id.get(d, {}).get('name', d)}" + (" (inherited)" if inherited else "")
                         for g, d, r, inherited in snap.domain_grants if g == group["id"])
        out.append({"name": group["name"], "managed": is_marked(group.get("description")), "roles": grants})
    return out
