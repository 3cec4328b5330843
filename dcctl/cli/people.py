"""``dcctl people``: a ministry's staff as Keystone users in its tenant's domain.

Exit codes: 0 ok, 1 a bad CSV or a plan that cannot be made (nothing written),
3 Keystone failed or an action failed.
"""

from __future__ import annotations

from pathlib import Path

import click

from dcctl.cli.locking import holding_lock, lock_timeout_option
from dcctl.cli.settings import json_option, settings
from dcctl.cli.tenant import tenants_option
from dcctl.core.errors import EXIT_INVALID, EXIT_SERVICE, InputError


@click.group()
def people() -> None:
    """Staff onboarding: users of each ministry's domain from a CSV."""


@people.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option("--tenant", "-t", "slug", required=True, help="The tenant whose domain the staff join.")
@tenants_option
@click.option("--plan", "plan_only", is_flag=True, help="Show the plan and stop (no write).")
@click.option("--prune", is_flag=True, help="Also remove memberships of the tenant's groups the CSV no longer lists.")
@click.option("--password-dir", type=click.Path(path_type=Path), default=None,
              help="Where the new users' one-time passwords are written (0700)  "
                   "[default: $XDG_STATE_HOME/dcctl/passwords]")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--concurrency", "-k", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Keystone writes in flight at once.")
@lock_timeout_option
@json_option
def import_(csv_file: Path, slug: str, plan_only: bool, prune: bool, password_dir: Path | None, yes: bool,
            concurrency: int, lock_timeout: float) -> None:
    """Create or update the tenant's users from FILE.csv and put them in its groups.

    \b
    - FILE.csv: a header row `username,full_name,email,groups`, one person per row,
      groups by their short name from the tenant's request (`admins;operators`)
    - checks every row first (missing columns, bad usernames or e-mails, duplicate
      usernames, unknown groups) and reports all problems with their row numbers,
      before any API call; a `password` column is refused
    - reads the tenant's domain in bulk (users, groups, members per group) and shows
      the plan: + create, ~ update (old -> new), disabled users, memberships
    - stops there with --plan; otherwise asks (unless --yes) and applies with
      --concurrency writes at once and retries; a second import changes nothing
    - a new user gets a one-time password, written only to a file of --password-dir
      (mode 0600, directory 0700), never to the screen, logs or audit log; a federated
      domain (an identity provider mapped to it) gets users without passwords
    - a user whose row was removed is disabled, never deleted; its memberships stay
    - holds the tenants lock; every action goes to the audit log
      (`dcctl audit log --tenant SLUG`)
    """
    from dcctl.cli.render import emit_json, print_problems, problems_json, stop_on_errors
    from dcctl.cli.render import stdout_is_tty
    from dcctl.cli.render import confirm
    from dcctl.cli.tenant import load_checked
    from dcctl.core.cloud import connect
    from dcctl.people.passwords import check_password_dir, default_password_dir
    from dcctl.people.plan import PeoplePlanOptions, plan_people
    from dcctl.people.roster import load_roster
    from dcctl.people.snapshot import read_people_snapshot

    tenants = load_checked()
    if slug not in tenants.tenants:
        from dcctl.core.schema_problems import did_you_mean

        raise InputError(f"unknown tenant '{slug}'", did_you_mean(slug, sorted(tenants.tenants)))
    groups = [g.name for g in tenants.tenants[slug].groups]
    roster, problems = load_roster(csv_file, slug, groups)
    stop_on_errors(problems)
    directory = None if plan_only else check_password_dir(password_dir or default_password_dir())

    conn = connect(settings().os_cloud)
    snap = read_people_snapshot(conn, slug, groups)
    plan, problems = plan_people(roster, groups, snap, PeoplePlanOptions(prune=prune))
    if problems:
        if settings().json:
            emit_json(problems_json(problems) | {"calls": conn.dcctl_calls.total,
                                                 "write_calls": len(conn.dcctl_calls.write_calls())})
        else:
            print_problems(problems)
            click.echo("No change was made: fix the problems above and import again.", err=True)
        click.get_current_context().exit(EXIT_INVALID)
    if not settings().json:
        click.echo(plan.render(colour=stdout_is_tty()))
    if plan_only or plan.is_empty:
        if settings().json:
            emit_json({"plan": plan.as_dict(), "results": [], "ok": True, "calls": conn.dcctl_calls.total,
                       "write_calls": len(conn.dcctl_calls.write_calls())})
        return
    confirm(yes, f"Apply these {len(plan.actions)} change(s) to tenant '{slug}' on cloud '{settings().os_cloud}'?")
    with holding_lock("tenants", lock_timeout):
        report, record, passwords = _apply(conn, plan, slug, directory, bool(snap.federated_by()), concurrency)
    _report(plan, report, record, passwords, conn.dcctl_calls)


def _apply(conn, plan, slug: str, directory: Path, federated: bool, concurrency: int):
    from dcctl.people.apply import apply_people_plan
    from dcctl.audit.recorder import AuditRecorder
    from dcctl.people.passwords import PasswordFile

    record = AuditRecorder("tenant", settings().os_cloud)
    passwords = None if federated else PasswordFile(directory, slug)
    report = apply_people_plan(conn, plan, passwords=passwords, concurrency=concurrency, recorder=record)
    return report, record, passwords


def _report(plan, report, record, passwords, calls) -> None:
    from dcctl.cli.render import echo_audit, emit_json, exit_on_audit_errors
    from dcctl.core.executor import Outcome

    issued = passwords.count if passwords is not None else 0
    must_change = passwords.must_change if passwords is not None else 0
    where = str(passwords.path) if issued else None
    if settings().json:
        emit_json({"plan": plan.as_dict(), "ok": report.ok and not record.errors, "summary": report.summary(),
                   "audit": {"written": record.written, "errors": record.errors},
                   "calls": calls.total, "write_calls": len(calls.write_calls()),
                   "password_file": where, "passwords_issued": issued, "passwords_must_change": must_change,
                   "results": [{"key": r.action.key, "outcome": r.outcome.value, "error": r.error,
                                "attempts": r.attempts} for r in report.results]})
    else:
        for r in report.by_outcome(Outcome.FAILED):
            click.echo(f"failed: {r.action.kind} {r.action.label}: {r.error}", err=True)
        click.echo(report.summary())
        if where:
            click.echo(f"{issued} one-time password(s) in {where} (only you can read it): hand each to its "
                       "person, then delete the file", err=True)
            if must_change == issued:
                click.echo("Keystone makes each person choose a new password before they can sign in.", err=True)
            else:
                click.echo(f"warning: Keystone does not make {issued - must_change} of them choose a new password "
                           "at first sign-in (keystone.conf [security_compliance] change_password_upon_first_use "
                           "is off on this cloud): ask each person to change it at once", err=True)
        echo_audit(record, plan)
    if not report.ok:
        if not settings().json:
            click.echo("Nothing else was started. Fix the cause and import again: it continues from what is "
                       "in the cloud.", err=True)
        click.get_current_context().exit(EXIT_SERVICE)
    exit_on_audit_errors(record, json_output=settings().json)
