"""Read one tenant's identity state in bulk: its domain, users, groups and their members.

Cost, whatever the number of staff: one lookup of the domain, then three lists at once
(users of the domain, groups of the domain, identity providers), then one member list
per group of the tenant's request, at once. Membership is read per group
(``GET /v3/groups/{id}/users``): a tenant has a handful of groups and thousands of
users, so per-user reads (``/users/{id}/groups``) would cost a call per person.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

from dcctl.tenants.mapping import group_name
from dcctl.tenants.snapshot import get_json, list_all


@dataclass
class PeopleSnapshot:
    """What Keystone holds for one tenant's domain (``domain`` is None when it does not exist)."""

    domain: dict | None
    users: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    members: dict[str, set[str]] = field(default_factory=dict)  # group id -> user ids
    identity_providers: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.user_by_name = {u["name"]: u for u in self.users}
        self.group_by_name = {g["name"]: g for g in self.groups}

    def federated_by(self) -> list[str]:
        """Identity providers whose users land in this domain: then nobody here gets a password."""
        if self.domain is None:
            return []
        return sorted(idp["id"] for idp in self.identity_providers if idp.get("domain_id") == self.domain["id"])


def read_people_snapshot(conn, tenant: str, groups: list[str], *, concurrency: int = 6) -> PeopleSnapshot:
    """Bulk reads only; ``groups`` are the tenant's short group names (whose members are read)."""
    from dcctl.core.cloud import service_error

    try:
        conn.session.get_token()  # once, before the parallel reads
        domains = get_json(conn.identity, f"/domains?name={quote(tenant)}").get("domains", [])
        if not domains:
            return PeopleSnapshot(domain=None)
        domain = domains[0]
        lists = {"users": ("/users", "users"), "groups": ("/groups", "groups"),
                 "identity_providers": ("/OS-FEDERATION/identity_providers", "identity_providers")}
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="people") as pool:
            def one(name: str) -> tuple[str, list[dict]]:
                path, key = lists[name]
                if name != "identity_providers":
                    path += f"?domain_id={domain['id']}"
                return name, list_all(conn.identity, path, key)

            found = dict(pool.map(one, lists))
            wanted = {group_name(tenant, g) for g in groups}
            ours = [g for g in found["groups"] if g["name"] in wanted]

            def members(group: dict) -> tuple[str, set[str]]:
                return group["id"], {u["id"] for u in list_all(conn.identity, f"/groups/{group['id']}/users", "users")}

            found["members"] = dict(pool.map(members, ours))
    except Exception as exc:  # noqa: BLE001 - any failure to read is a service failure
        raise service_error(exc, f"reading tenant '{tenant}' from Keystone failed") from exc
    return PeopleSnapshot(domain=domain, **found)
