"""Plan a staff import: the user and membership writes that make the domain match the CSV. Pure.

Rules:
- a user dcctl creates carries the marker at the end of its description (its full
  name, then ``[managed-by-dcctl]``); dcctl changes only such users. A same-named user
  without it (made by hand, or by the ministry's own admins) is a problem, not adopted;
- a new user gets a one-time password at apply time (never in the plan), or none when
  an identity provider is mapped to the domain (the domain is federated);
- a managed user whose row left the CSV is disabled, never deleted, and nothing else
  changes: its group memberships stay, so a disabled account keeps no access (Keystone
  refuses it a token) and a returning row re-enables it as it was;
- memberships the CSV adds are planned; memberships of the tenant's groups that the
  CSV no longer lists are removed only with ``prune`` (the plan counts them otherwise);
- users dcctl does not manage are never touched, whatever the CSV says.
"""

from __future__ import annotations

from dataclasses import dataclass

from dcctl.core.plan import Action, Change, Op, Plan, diff_fields
from dcctl.core.problems import Location, Problem, error
from dcctl.people.model import Roster, StaffMember
from dcctl.people.snapshot import PeopleSnapshot
from dcctl.tenants.mapping import MANAGED_MARK, group_name, is_marked, marked
from dcctl.tenants.plan import Ref


@dataclass(frozen=True)
class PeoplePlanOptions:
    prune: bool = False  # also remove memberships of the tenant's groups that the CSV no longer lists


def plan_people(roster: Roster, groups: list[str], snap: PeopleSnapshot,
                options: PeoplePlanOptions = PeoplePlanOptions()) -> tuple[Plan, list[Problem]]:
    """``groups``: the tenant's group short names (from its request)."""
    tenant, where = roster.tenant, Location(roster.file)
    if snap.domain is None:
        return Plan(), [error(where, f"tenant '{tenant}' has no domain in the cloud yet",
                              f"apply the tenant first: dcctl tenant apply --tenant {tenant}", "no-domain")]
    problems: list[Problem] = []
    group_ids: dict[str, str] = {}
    for short in groups:
        live = snap.group_by_name.get(group_name(tenant, short))
        if live is None:
            problems.append(error(where, f"group '{group_name(tenant, short)}' of tenant '{tenant}' "
                                         "is not in the cloud",
                                  f"apply the tenant first: dcctl tenant apply --tenant {tenant}", "no-group"))
        elif not is_marked(live.get("description")):
            problems.append(error(where, f"group '{live['name']}' is not managed by dcctl",
                                  "ask a cloud engineer: dcctl only fills the groups it created", "unmanaged-group"))
        else:
            group_ids[short] = live["id"]
    if problems:
        return Plan(), problems

    federated = snap.federated_by()
    user_actions: list[Action] = []
    member_actions: list[Action] = []
    left_out = 0
    for member in roster.members:
        live = snap.user_by_name.get(member.username)
        if live is not None and not is_marked(live.get("description")):
            problems.append(error(Location(roster.file, member.line, 1),
                                  f"row {member.line}: user '{member.username}' already exists in domain '{tenant}' "
                                  "and was not created by dcctl",
                                  "dcctl never adopts a user made by hand (or by the ministry's admins): "
                                  "give the person another username, or have the existing user removed",
                                  "unmanaged-user"))
            continue
        user_id = _user(user_actions, tenant, snap.domain["id"], member, live, federated)
        member_of = {short for short, gid in group_ids.items()
                     if live is not None and live["id"] in snap.members.get(gid, set())}
        for short in member.groups:
            if short not in member_of:
                member_actions.append(_membership(Op.CREATE, tenant, member.username, short, group_ids[short], user_id))
        for short in sorted(member_of - set(member.groups)):
            if options.prune:
                member_actions.append(_membership(Op.DELETE, tenant, member.username, short, group_ids[short], user_id))
            else:
                left_out += 1

    listed = {m.username for m in roster.members}
    for live in sorted(snap.users, key=lambda u: u["name"]):
        if live["name"] in listed or not is_marked(live.get("description")) or not live.get("enabled", True):
            continue
        user_actions.append(Action(Op.UPDATE, "user", f"user:{tenant}/{live['name']}",
                                   f"{live['name']} ({tenant}): not in the CSV any more, disabled (kept)",
                                   scope=tenant, changes=(Change("enabled", True, False),),
                                   payload={"id": live["id"], "body": {"enabled": False}}))
    notes = []
    if federated:
        notes.append(f"domain {tenant} is federated (identity provider {', '.join(federated)}): "
                     "new users get no password, they sign in through the identity provider")
    if left_out:
        notes.append(f"{left_out} group membership(s) the CSV no longer lists were left: "
                     "run with --prune to remove them")
    unmanaged = sum(1 for u in snap.users if not is_marked(u.get("description")) and u["name"] not in listed)
    if unmanaged:
        notes.append(f"{unmanaged} user(s) of domain {tenant} not made by dcctl were left alone")
    return Plan(user_actions + member_actions, notes), problems


def description(member: StaffMember) -> str:
    return marked(member.full_name)


def _user(actions: list[Action], tenant: str, domain_id: str, member: StaffMember, live: dict | None,
          federated: list[str]) -> str | Ref:
    key = f"user:{tenant}/{member.username}"
    want = {"email": member.email, "description": description(member), "enabled": True}
    if live is None:
        sign_in = f"identity provider {', '.join(federated)}" if federated else "one-time password (written to a file)"
        actions.append(Action(Op.CREATE, "user", key, f"{member.username} ({tenant})", scope=tenant,
                              changes=(Change("full_name", None, member.full_name), Change("email", None, member.email),
                                       Change("groups", None, list(member.groups)), Change("sign-in", None, sign_in)),
                              payload={"body": {"name": member.username, "domain_id": domain_id, **want},
                                       "password": not federated, "line": member.line}))
        return Ref(key)
    current = {"email": live.get("email"), "description": live.get("description"), "enabled": live.get("enabled", True)}
    changes = diff_fields(current, want)
    if changes:
        shown = tuple(Change("full_name", _name(c.old), member.full_name) if c.field == "description" else c
                      for c in changes)
        actions.append(Action(Op.UPDATE, "user", key, f"{member.username} ({tenant})", scope=tenant, changes=shown,
                              payload={"id": live["id"], "body": {c.field: c.new for c in changes}}))
    return live["id"]


def _name(text: str | None) -> str | None:
    return text.removesuffix(MANAGED_MARK).rstrip() if text else text


def _membership(op: Op, tenant: str, username: str, short: str, group_id: str, user_id: str | Ref) -> Action:
    name = group_name(tenant, short)
    return Action(op, "group-membership", f"member:{tenant}/{username}@{short}",
                  f"{username} {'in' if op is Op.CREATE else 'out of'} group {name}", scope=tenant,
                  changes=(Change("group", None, name),) if op is Op.CREATE else (Change("group", name, None),),
                  depends_on=(user_id.key,) if isinstance(user_id, Ref) else (),
                  payload={"group_id": group_id, "user_id": user_id})
