"""Apply a tenant plan: one write per action, in dependency order, through the core executor.

Each ``perform`` is one small step against one API. Creates are safe to retry: a
retried create first looks its object up by name (or by what identifies it) so a
create whose answer was lost is not made twice. Security group rules converge to
the full desired set on a retry instead of re-posting a batch.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from dcctl.core.executor import ActionResult, ApplyReport, Recorder, apply_plan
from dcctl.core.plan import Action, Op, Plan
from dcctl.tenants.mapping import live_rule_key, rule_body
from dcctl.tenants.plan import Ref
from dcctl.tenants.snapshot import get_json


def apply_tenant_plan(conn, plan: Plan, *, concurrency: int = 8, network_concurrency: int = 1,
                      recorder: Recorder | None = None, on_progress: Callable[[ActionResult], None] | None = None,
                      attempts: int = 7, backoff: float = 0.5) -> ApplyReport:
    """Run the plan against ``conn``; the recorder sees every outcome (the audit log hooks in there).

    ``network_concurrency`` bounds the Neutron writes in flight. Neutron serialises its
    writes on the database anyway; on the lab (SQLite) two at once already fail with
    "database is locked" (hundreds of 500s per apply, some after 7 attempts, each one
    leaking a quota reservation for two minutes), while one at a time never does. Keystone,
    Nova and Cinder writes still run ``concurrency`` at once. Raise it for a Neutron on a
    database that takes concurrent writes.
    """
    from dcctl.core.cloud import is_transient

    tried: set[str] = set()
    steps_done: dict[str, set[str]] = {}  # action key -> steps an earlier attempt finished
    lock = threading.Lock()
    _WRITE_GATES[id(conn.network)] = threading.BoundedSemaphore(max(1, network_concurrency))

    def perform(action: Action, results: dict[str, Any]) -> Any:
        with lock:
            retry = action.key in tried
            tried.add(action.key)
            done = steps_done.setdefault(action.key, set())
        if retry:  # spread retries out: faults from contention hit everything in flight at once
            time.sleep(random.uniform(0, backoff))
        return perform_action(conn, action, results, retry=retry, steps_done=done)

    try:
        return apply_plan(plan, perform, concurrency=concurrency, is_transient=is_transient, attempts=attempts,
                          backoff=backoff, recorder=recorder, on_progress=on_progress)
    finally:
        _WRITE_GATES.pop(id(conn.network), None)


# service adapter (by id) -> how many writes may be in flight on it during an apply
_WRITE_GATES: dict[int, threading.BoundedSemaphore] = {}


def perform_action(conn, action: Action, results: dict[str, Any], *, retry: bool = False,
                   steps_done: set[str] | None = None) -> Any:
    """One action; ``steps_done`` (kept across its attempts) lets a retry skip what already succeeded."""
    payload = resolve(action.payload, results)
    payload["steps_done"] = steps_done if steps_done is not None else set()
    handler = HANDLERS.get((action.kind, action.op))
    if handler is None:  # pragma: no cover - the planner only makes the kinds below
        raise ValueError(f"no way to {action.op.value} a {action.kind}")
    return handler(conn, payload, retry)


def resolve(value: Any, results: dict[str, Any]) -> Any:
    """Replace each ``Ref`` by the id its action returned."""
    if isinstance(value, Ref):
        if value.key not in results:
            raise RuntimeError(f"{value.key} has no result yet")
        return results[value.key]
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    return value


# -- HTTP helpers ----------------------------------------------------------------------------

def _call(adapter, method: str, path: str, body: dict | None = None) -> dict:
    from contextlib import nullcontext

    from openstack import exceptions

    gate = _WRITE_GATES.get(id(adapter)) if method != "GET" else None
    with gate or nullcontext():
        response = adapter.request(path, method, json=body, raise_exc=False)
    exceptions.raise_from_response(response)
    if response.status_code == 204 or not response.content:
        return {}
    return response.json()


def _first(adapter, path: str, key: str) -> dict | None:
    items = get_json(adapter, path).get(key, [])
    return items[0] if items else None


def _create(adapter, path: str, key: str, body: dict, retry: bool, find: str | None) -> str:
    def lookup() -> str | None:
        found = _first(adapter, find, key + "s") if find else None
        return found["id"] if found else None

    return _made_once(lambda: _call(adapter, "POST", path, {key: body})[key]["id"], lookup, retry)


def _made_once(make: Callable[[], str], lookup: Callable[[], str | None], retry: bool) -> str:
    """Make an object, at most once over the attempts of an action; returns its id.

    A retry first looks up what an earlier attempt whose answer was lost may have
    made. The service may still have been making it then (a gateway gave up on a slow
    call): when the retried write is refused as a duplicate (409, or 400 for an
    overlapping subnet or a router already on the subnet), it is looked up once more.
    """
    from openstack import exceptions

    if retry:
        found = lookup()
        if found:
            return found
    try:
        return make()
    except (exceptions.ConflictException, exceptions.BadRequestException):
        found = lookup() if retry else None
        if found:
            return found
        raise


# -- Keystone --------------------------------------------------------------------------------

def _domain_create(conn, p, retry):
    return _create(conn.identity, "/domains", "domain", p["body"], retry, f"/domains?name={p['body']['name']}")


def _domain_update(conn, p, retry):
    _call(conn.identity, "PATCH", f"/domains/{p['id']}", {"domain": p["body"]})
    return p["id"]


def _domain_delete(conn, p, retry):
    _ignore_missing(lambda: _call(conn.identity, "PATCH", f"/domains/{p['id']}", {"domain": {"enabled": False}}))
    _ignore_missing(lambda: _call(conn.identity, "DELETE", f"/domains/{p['id']}"))


def _project_create(conn, p, retry):
    b = p["body"]
    return _create(conn.identity, "/projects", "project", b, retry,
                   f"/projects?name={b['name']}&domain_id={b['domain_id']}")


def _project_update(conn, p, retry):
    _call(conn.identity, "PATCH", f"/projects/{p['id']}", {"project": p["body"]})
    return p["id"]


def _project_delete(conn, p, retry):
    _ignore_missing(lambda: _call(conn.identity, "DELETE", f"/projects/{p['id']}"))


def _quota_set(conn, p, retry):
    """Three services' quota sets, then the digest tag; a retry redoes only the steps that failed."""
    pid = p["project_id"]
    bodies = p["bodies"]
    done = p["steps_done"]

    def step(name: str, call: Callable[[], Any]) -> None:
        if name not in done:
            call()
            done.add(name)

    if "compute" in bodies:
        step("compute", lambda: _call(conn.compute, "PUT", f"/os-quota-sets/{pid}", {"quota_set": bodies["compute"]}))
    if "volume" in bodies:
        step("volume", lambda: _call(conn.block_storage, "PUT", f"/os-quota-sets/{pid}",
                                     {"quota_set": bodies["volume"]}))
    if "network" in bodies:
        body = dict(bodies["network"])
        if p.get("new_project"):  # limits never set yet: what is there, dcctl just made; reservations
            # that a failed create left behind (they expire after minutes) must not refuse the limit
            body["force"] = True
        step("network", lambda: _call(conn.network, "PUT", f"/quotas/{pid}", {"quota": body}))
    if p.get("tags") is not None:  # recorded last: a failure above leaves the old digest, so a re-run re-reads
        step("tags", lambda: _call(conn.identity, "PATCH", f"/projects/{pid}", {"project": {"tags": p["tags"]}}))
    return pid


def _quota_reset(conn, p, retry):
    pid = p["project_id"]
    _ignore_missing(lambda: _call(conn.compute, "DELETE", f"/os-quota-sets/{pid}"))
    _ignore_missing(lambda: _call(conn.block_storage, "DELETE", f"/os-quota-sets/{pid}"))
    _ignore_missing(lambda: _call(conn.network, "DELETE", f"/quotas/{pid}"))


def _group_create(conn, p, retry):
    b = p["body"]
    return _create(conn.identity, "/groups", "group", b, retry, f"/groups?name={b['name']}&domain_id={b['domain_id']}")


def _group_update(conn, p, retry):
    _call(conn.identity, "PATCH", f"/groups/{p['id']}", {"group": p["body"]})
    return p["id"]


def _group_delete(conn, p, retry):
    _ignore_missing(lambda: _call(conn.identity, "DELETE", f"/groups/{p['id']}"))


def _grant_path(p) -> str:
    """A group's role on a project, on a domain, or on a domain inherited by its projects."""
    if "domain_id" not in p:
        return f"/projects/{p['project_id']}/groups/{p['group_id']}/roles/{p['role_id']}"
    path = f"/domains/{p['domain_id']}/groups/{p['group_id']}/roles/{p['role_id']}"
    return f"/OS-INHERIT{path}/inherited_to_projects" if p.get("inherited") else path


def _grant(conn, p, retry):  # PUT is idempotent
    _call(conn.identity, "PUT", _grant_path(p))


def _revoke(conn, p, retry):
    _ignore_missing(lambda: _call(conn.identity, "DELETE", _grant_path(p)))


# -- Neutron ---------------------------------------------------------------------------------

def _network_create(conn, p, retry):
    b = p["body"]
    return _create(conn.network, "/networks", "network", b, retry, f"/networks?name={b['name']}&project_id={b['project_id']}")


def _subnet_create(conn, p, retry):
    b = p["body"]
    return _create(conn.network, "/subnets", "subnet", b, retry, f"/subnets?name={b['name']}&network_id={b['network_id']}")


def _router_create(conn, p, retry):
    b = p["body"]
    if retry:  # Neutron creates the router, then sets its gateway: a failure can fall between
        found = _first(conn.network, f"/routers?name={b['name']}&project_id={b['project_id']}", "routers")
        if found:
            want = (b.get("external_gateway_info") or {}).get("network_id")
            if (found.get("external_gateway_info") or {}).get("network_id") != want:
                _call(conn.network, "PUT", f"/routers/{found['id']}",
                      {"router": {"external_gateway_info": b.get("external_gateway_info") or {}}})
            return found["id"]
    return _call(conn.network, "POST", "/routers", {"router": b})["router"]["id"]


def _updater(collection: str, key: str):
    def update(conn, p, retry):
        _call(conn.network, "PUT", f"/{collection}/{p['id']}", {key: p["body"]})
        return p["id"]
    return update


def _deleter(collection: str):
    def delete(conn, p, retry):
        _ignore_missing(lambda: _call(conn.network, "DELETE", f"/{collection}/{p['id']}"))
    return delete


def _interface_add(conn, p, retry):
    router, subnet = p["router_id"], p["subnet_id"]

    def lookup() -> str | None:
        for port in get_json(conn.network, f"/ports?device_id={router}&device_owner=network:router_interface")["ports"]:
            if any(ip["subnet_id"] == subnet for ip in port.get("fixed_ips", [])):
                return port["id"]
        return None

    return _made_once(lambda: _call(conn.network, "PUT", f"/routers/{router}/add_router_interface",
                                    {"subnet_id": subnet})["port_id"], lookup, retry)


def _interface_remove(conn, p, retry):
    _ignore_missing(lambda: _call(conn.network, "PUT", f"/routers/{p['router_id']}/remove_router_interface",
                                  {"subnet_id": p["subnet_id"]}))


def _sg_create(conn, p, retry):
    b = p["body"]
    group = None
    if retry:
        group = _first(conn.network, f"/security-groups?name={b['name']}&project_id={b['project_id']}", "security_groups")
    if group is None:
        group = _call(conn.network, "POST", "/security-groups", {"security_group": b})["security_group"]
    # a new group may come with the cloud's default rules: converge to exactly the desired ones
    _sync_rules(conn, group, p["name"], p["want"], p["remotes"])
    return group["id"]


def _sg_update(conn, p, retry):
    if p.get("body"):
        _call(conn.network, "PUT", f"/security-groups/{p['id']}", {"security_group": p["body"]})
    if retry:  # converge from what is there now rather than replaying a batch
        group = get_json(conn.network, f"/security-groups/{p['id']}")["security_group"]
        _sync_rules(conn, group, p["name"], p["want"], p["remotes"])
        return p["id"]
    for rule_id in p["remove"]:
        _ignore_missing(lambda rid=rule_id: _call(conn.network, "DELETE", f"/security-group-rules/{rid}"))
    _post_rules(conn, {"id": p["id"], "project_id": p["project_id"]}, p["name"], p["add"], p["remotes"])
    return p["id"]


def _sync_rules(conn, group: dict, name: str, want: list, remotes: dict) -> None:
    names = {gid: n for n, gid in remotes.items()} | {group["id"]: name}
    have = {tuple(live_rule_key(r, names)): r["id"] for r in group.get("security_group_rules", [])}
    wanted = {tuple(r) for r in want}
    for key, rule_id in have.items():
        if key not in wanted:
            _ignore_missing(lambda rid=rule_id: _call(conn.network, "DELETE", f"/security-group-rules/{rid}"))
    _post_rules(conn, group, name, [r for r in want if tuple(r) not in have], remotes)


def _post_rules(conn, group: dict, own_name: str, rules: list, remotes: dict) -> None:
    """All missing rules in one bulk call, owned (and counted) by the group's project."""
    if not rules:
        return
    bodies = []
    for rule in rules:
        remote_name = rule[6]
        remote_id = group["id"] if remote_name == own_name else remotes.get(remote_name) if remote_name else None
        bodies.append(rule_body(tuple(rule), group["id"], remote_id) | {"project_id": group["project_id"]})
    _call(conn.network, "POST", "/security-group-rules", {"security_group_rules": bodies})


def _sg_delete(conn, p, retry):
    from openstack import exceptions

    try:
        _ignore_missing(lambda: _call(conn.network, "DELETE", f"/security-groups/{p['id']}"))
    except exceptions.ConflictException:
        if not p.get("cloud_default"):
            raise  # Neutron's own default group still used by ports dcctl does not manage: leave it


def _rbac_create(conn, p, retry):
    b = p["body"]
    find = (f"/rbac-policies?object_id={b['object_id']}&target_tenant={b['target_tenant']}"
            "&action=access_as_shared")

    def lookup() -> str | None:
        found = _first(conn.network, find, "rbac_policies")
        return found["id"] if found else None

    return _made_once(lambda: _call(conn.network, "POST", "/rbac-policies", {"rbac_policy": b})["rbac_policy"]["id"],
                      lookup, retry)


def _ignore_missing(fn: Callable[[], Any]) -> None:
    from openstack import exceptions

    try:
        fn()
    except exceptions.NotFoundException:
        pass  # already gone: a deletion converges


HANDLERS: dict[tuple[str, Op], Callable[[Any, dict, bool], Any]] = {
    ("domain", Op.CREATE): _domain_create,
    ("domain", Op.UPDATE): _domain_update,
    ("domain", Op.DELETE): _domain_delete,
    ("project", Op.CREATE): _project_create,
    ("project", Op.UPDATE): _project_update,
    ("project", Op.DELETE): _project_delete,
    ("quota", Op.CREATE): _quota_set,
    ("quota", Op.UPDATE): _quota_set,
    ("quota", Op.DELETE): _quota_reset,
    ("group", Op.CREATE): _group_create,
    ("group", Op.UPDATE): _group_update,
    ("group", Op.DELETE): _group_delete,
    ("role-grant", Op.CREATE): _grant,
    ("role-grant", Op.DELETE): _revoke,
    ("network", Op.CREATE): _network_create,
    ("network", Op.UPDATE): _updater("networks", "network"),
    ("network", Op.DELETE): _deleter("networks"),
    ("subnet", Op.CREATE): _subnet_create,
    ("subnet", Op.UPDATE): _updater("subnets", "subnet"),
    ("subnet", Op.DELETE): _deleter("subnets"),
    ("router", Op.CREATE): _router_create,
    ("router", Op.UPDATE): _updater("routers", "router"),
    ("router", Op.DELETE): _deleter("routers"),
    ("router-interface", Op.CREATE): _interface_add,
    ("router-interface", Op.DELETE): _interface_remove,
    ("security-group", Op.CREATE): _sg_create,
    ("security-group", Op.UPDATE): _sg_update,
    ("security-group-rules", Op.UPDATE): _sg_update,
    ("security-group", Op.DELETE): _sg_delete,
    ("rbac-link", Op.CREATE): _rbac_create,
    ("rbac-link", Op.DELETE): _deleter("rbac-policies"),
}
