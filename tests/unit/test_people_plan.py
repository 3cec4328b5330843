"""The staff plan is a pure function of (CSV, tenant groups, Keystone snapshot)."""

from __future__ import annotations

from dcctl.core.executor import apply_plan
from dcctl.core.plan import Op
from dcctl.people.model import Roster, StaffMember
from dcctl.people.plan import PeoplePlanOptions, plan_people
from dcctl.people.snapshot import PeopleSnapshot
from dcctl.tenants.apply import resolve

GROUPS = ["admins", "operators", "supervisors"]
MARK = "[managed-by-dcctl]"


def member(username: str, *groups: str, email: str | None = None, name: str | None = None, line: int = 2):
    return StaffMember(username=username, full_name=name or username.title(), email=email or f"{username}@cbi.iq",
                       groups=groups, line=line)


def roster(*members: StaffMember) -> Roster:
    return Roster(tenant="cbi", file="staff.csv", members=members)


def domain(users=(), members=None, idps=()) -> PeopleSnapshot:
    groups = [{"id": f"g-{g}", "name": f"cbi-{g}", "description": f"CBI: {g} {MARK}"} for g in GROUPS]
    return PeopleSnapshot(domain={"id": "d-cbi", "name": "cbi"}, users=list(users), groups=groups,
                          members=members or {}, identity_providers=list(idps))


def applied(plan, snap: PeopleSnapshot) -> PeopleSnapshot:
    """The snapshot Keystone would give after ``plan`` ran."""
    users = {u["id"]: dict(u) for u in snap.users}
    members = {g: set(ids) for g, ids in snap.members.items()}

    def perform(a, results):
        p = resolve(a.payload, results)
        if (a.kind, a.op) == ("user", Op.CREATE):
            users[f"u-{p['body']['name']}"] = {"id": f"u-{p['body']['name']}", **p["body"]}
            return f"u-{p['body']['name']}"
        if (a.kind, a.op) == ("user", Op.UPDATE):
            users[p["id"]].update(p["body"])
        elif a.op is Op.CREATE:
            members.setdefault(p["group_id"], set()).add(p["user_id"])
        else:
            members[p["group_id"]].discard(p["user_id"])

    assert apply_plan(plan, perform).ok
    return PeopleSnapshot(domain=snap.domain, users=list(users.values()), groups=snap.groups, members=members,
                          identity_providers=snap.identity_providers)


def test_new_staff_are_created_with_a_password_and_put_in_their_groups():
    plan, problems = plan_people(roster(member("zainab", "admins"), member("noor", "operators", "supervisors")),
                                 GROUPS, domain())
    assert problems == []
    assert [(a.op, a.kind, a.key) for a in plan.actions] == [
        (Op.CREATE, "user", "user:cbi/zainab"), (Op.CREATE, "user", "user:cbi/noor"),
        (Op.CREATE, "group-membership", "member:cbi/zainab@admins"),
        (Op.CREATE, "group-membership", "member:cbi/noor@operators"),
        (Op.CREATE, "group-membership", "member:cbi/noor@supervisors")]
    create = plan.actions[0]
    assert create.payload["body"] == {"name": "zainab", "domain_id": "d-cbi", "email": "zainab@cbi.iq",
                                      "description": f"Zainab {MARK}", "enabled": True}
    assert create.payload["password"] is True and "password" not in create.payload["body"]
    assert plan.actions[2].depends_on == ("user:cbi/zainab",)


def test_a_second_import_of_the_same_csv_plans_nothing():
    staff = roster(member("zainab", "admins"), member("noor", "operators", "supervisors"))
    after = applied(plan_people(staff, GROUPS, domain())[0], domain())
    again, problems = plan_people(staff, GROUPS, after)
    assert problems == [] and again.is_empty, again.render()


def test_a_changed_email_or_name_is_one_update_with_old_and_new():
    after = applied(plan_people(roster(member("noor", "operators")), GROUPS, domain())[0], domain())
    plan, _ = plan_people(roster(member("noor", "operators", email="n.abbas@cbi.iq", name="Noor Abbas")), GROUPS, after)
    [action] = plan.actions
    assert (action.op, action.key) == (Op.UPDATE, "user:cbi/noor")
    assert {(c.field, c.old, c.new) for c in action.changes} == {
        ("email", "noor@cbi.iq", "n.abbas@cbi.iq"), ("full_name", "Noor", "Noor Abbas")}
    assert action.payload["body"] == {"email": "n.abbas@cbi.iq", "description": f"Noor Abbas {MARK}"}


def test_a_removed_row_disables_the_user_and_changes_nothing_else():
    both = roster(member("zainab", "admins"), member("noor", "operators"))
    after = applied(plan_people(both, GROUPS, domain())[0], domain())
    plan, _ = plan_people(roster(member("zainab", "admins")), GROUPS, after)
    [action] = plan.actions
    assert (action.op, action.key, action.payload["body"]) == (Op.UPDATE, "user:cbi/noor", {"enabled": False})
    gone = applied(plan, after)
    assert "u-noor" in gone.members["g-operators"]  # membership kept, the account is off
    assert plan_people(roster(member("zainab", "admins")), GROUPS, gone)[0].is_empty  # disabled stays disabled
    back, _ = plan_people(both, GROUPS, gone)
    assert [(a.op, a.key, a.payload["body"]) for a in back.actions] == [(Op.UPDATE, "user:cbi/noor", {"enabled": True})]


def test_a_group_left_out_of_a_row_is_removed_only_with_prune():
    after = applied(plan_people(roster(member("noor", "operators", "supervisors")), GROUPS, domain())[0], domain())
    fewer = roster(member("noor", "operators"))
    plan, _ = plan_people(fewer, GROUPS, after)
    assert plan.is_empty and "1 group membership(s) the CSV no longer lists were left" in plan.notes[0]
    pruned, _ = plan_people(fewer, GROUPS, after, PeoplePlanOptions(prune=True))
    assert [(a.op, a.key) for a in pruned.actions] == [(Op.DELETE, "member:cbi/noor@supervisors")]


def test_users_dcctl_did_not_make_are_never_touched_and_a_same_name_is_refused():
    hand_made = {"id": "u-h", "name": "hand.made", "description": "made by the ministry's admin", "enabled": True}
    plan, problems = plan_people(roster(member("zainab", "admins")), GROUPS, domain([hand_made]))
    assert [a.key for a in plan.actions if a.kind == "user"] == ["user:cbi/zainab"]  # not disabled
    assert "1 user(s) of domain cbi not made by dcctl were left alone" in plan.notes
    _, problems = plan_people(roster(member("hand.made", "admins", line=7)), GROUPS, domain([hand_made]))
    assert [(p.code, p.location.line) for p in problems] == [("unmanaged-user", 7)]


def test_a_federated_domain_gets_users_without_passwords():
    idp = {"id": "gov-sso", "domain_id": "d-cbi"}
    other = {"id": "other-sso", "domain_id": "d-other"}
    plan, _ = plan_people(roster(member("zainab", "admins")), GROUPS, domain(idps=[idp, other]))
    assert plan.actions[0].payload["password"] is False
    assert any("federated (identity provider gov-sso)" in n for n in plan.notes)


def test_a_tenant_not_applied_yet_is_one_problem_and_no_plan():
    plan, problems = plan_people(roster(member("zainab", "admins")), GROUPS, PeopleSnapshot(domain=None))
    assert plan.is_empty and [p.code for p in problems] == ["no-domain"]
    missing = domain()
    missing.groups = missing.groups[:2]
    missing.__post_init__()
    _, problems = plan_people(roster(member("zainab", "admins")), GROUPS, missing)
    assert [p.message for p in problems] == ["group 'cbi-supervisors' of tenant 'cbi' is not in the cloud"]


def test_the_plan_as_text_and_json_holds_no_password():
    plan, _ = plan_people(roster(member("zainab", "admins")), GROUPS, domain())
    text, data = plan.render(), plan.as_dict()
    assert "+ user zainab (cbi)" in text and "sign-in: \"one-time password (written to a file)\"" in text
    assert data["counts"] == {"create": 2, "update": 0, "delete": 0}
