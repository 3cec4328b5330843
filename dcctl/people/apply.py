"""Apply a staff plan: Keystone user and membership writes through the core executor.

A retried user create first looks the user up by name in the domain, so a create
whose answer was lost is not made twice (and its password, already in the file,
stays the one Keystone has). The request that carries a password is sent with
keystoneauth's logging off: with ``-vv`` every other request body is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from dcctl.core.executor import ActionResult, ApplyReport, Recorder, apply_plan
from dcctl.core.plan import Action, Op, Plan
from dcctl.people.passwords import PasswordFile
from dcctl.tenants.apply import resolve
from dcctl.tenants.snapshot import get_json


def apply_people_plan(conn, plan: Plan, *, passwords: PasswordFile | None, concurrency: int = 8,
                      recorder: Recorder | None = None, on_progress: Callable[[ActionResult], None] | None = None,
                      attempts: int = 7, backoff: float = 0.5) -> ApplyReport:
    """Run the plan; ``passwords`` receives each new user's one-time password (None: federated, no passwords)."""
    from dcctl.core.cloud import is_transient

    tried: set[str] = set()

    def perform(action: Action, results: dict[str, Any]) -> Any:
        retry = action.key in tried
        tried.add(action.key)
        handler = HANDLERS[(action.kind, action.op)]
        return handler(conn, resolve(action.payload, results), retry, passwords)

    try:
        return apply_plan(plan, perform, concurrency=concurrency, is_transient=is_transient, attempts=attempts,
                          backoff=backoff, recorder=recorder, on_progress=on_progress)
    finally:
        if passwords is not None:
            passwords.close()


def _request(adapter, method: str, path: str, body: dict | None = None, *, log: bool = True) -> dict:
    from openstack import exceptions

    response = adapter.request(path, method, json=body, raise_exc=False, log=log)
    exceptions.raise_from_response(response)
    return response.json() if response.content and response.status_code != 204 else {}


def _user_create(conn, p, retry, passwords):
    body = dict(p["body"])
    if retry:
        found = get_json(conn.identity, f"/users?name={quote(body['name'])}&domain_id={body['domain_id']}")["users"]
        if found:
            if p["password"]:
                passwords.created(found[0])
            return found[0]["id"]
    if p["password"]:
        if passwords is None:
            raise RuntimeError("a new user needs a password and no password file was given")
        body["password"] = passwords.issue(body["name"])  # in the file before Keystone has it
    user = _request(conn.identity, "POST", "/users", {"user": body}, log=False)["user"]
    if p["password"]:
        passwords.created(user)
    return user["id"]


def _user_update(conn, p, retry, passwords):
    _request(conn.identity, "PATCH", f"/users/{p['id']}", {"user": p["body"]})
    return p["id"]


def _member_add(conn, p, retry, passwords):  # PUT is idempotent
    _request(conn.identity, "PUT", f"/groups/{p['group_id']}/users/{p['user_id']}")


def _member_remove(conn, p, retry, passwords):
    from openstack import exceptions

    try:
        _request(conn.identity, "DELETE", f"/groups/{p['group_id']}/users/{p['user_id']}")
    except exceptions.NotFoundException:
        pass  # already out: a removal converges


HANDLERS: dict[tuple[str, Op], Callable[..., Any]] = {
    ("user", Op.CREATE): _user_create,
    ("user", Op.UPDATE): _user_update,
    ("group-membership", Op.CREATE): _member_add,
    ("group-membership", Op.DELETE): _member_remove,
}
