"""``dcctl tenant``: validate, plan, apply, drift, show and destroy the tenants in ``tenants/``.

Exit codes: 0 ok, 1 invalid requests or a plan that cannot be made, 3 the cloud
failed; ``drift`` exits 4 when the cloud differs from the requests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dcctl.cli.locking import holding_lock, lock_timeout_option
from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import EXIT_INVALID, EXIT_SERVICE, InputError

EXIT_DRIFT = 4


def _set_tenants_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta["dcctl.tenants_dir"] = value


tenants_option = click.option(
    "--tenants", "tenants_dir", type=click.Path(path_type=Path), envvar="DCCTL_TENANTS", default=None,
    expose_value=False, callback=_set_tenants_dir, help="Tenant requests directory  [default: tenants/]")
selection_options = [
    click.option("--tenant", "-t", "slugs", multiple=True, help="Only this tenant (repeatable)."),
    click.option("--phase", type=click.IntRange(1, 3), help="Only what is onboarded in this phase or earlier."),
]


def _select(fn):
    for option in reversed(selection_options):
        fn = option(fn)
    return fn


def _tenants_dir() -> Path:
    return click.get_current_context().meta.get("dcctl.tenants_dir", Path("tenants"))


def load_checked():
    """Load and check the requests (against the inventory's sites); exit 1 with every problem if any."""
    from dcctl.cli.render import stop_on_errors
    from dcctl.tenants import load_tenants

    tenants, problems = load_tenants(_tenants_dir(), settings().inventory_dir)
    stop_on_errors(problems)
    return tenants


def _options(tenants, slugs, phase, **extra):
    from dcctl.tenants.plan import PlanOptions

    unknown = [s for s in slugs if s not in tenants.tenants]
    if unknown:
        from dcctl.core.schema_problems import did_you_mean

        raise InputError(f"unknown tenant '{unknown[0]}'", did_you_mean(unknown[0], sorted(tenants.tenants)))
    return PlanOptions(tenants=frozenset(slugs) if slugs else None, phase=phase, **extra)


def _connect():
    from dcctl.core.cloud import connect

    return connect(settings().os_cloud)


def _plan_or_exit(conn, tenants, options):
    from dcctl.cli.render import emit_json, print_problems, problems_json
    from dcctl.tenants import plan_live

    plan, problems, snap = plan_live(conn, tenants, options)
    if problems:
        if settings().json:
            calls = conn.dcctl_calls
            emit_json(problems_json(problems) | {"plan": plan.as_dict(), "calls": calls.total,
                                                 "write_calls": len(calls.write_calls())})
        else:
            print_problems(problems)
            click.echo("No change was made: fix the problems above and plan again.", err=True)
        click.get_current_context().exit(EXIT_INVALID)
    return plan, snap


def _colour() -> bool:
    from dcctl.cli.render import stdout_is_tty

    return stdout_is_tty()


@click.group()
def tenant() -> None:
    """Tenants as code: each ministry's OpenStack tenant from tenants/*.yaml."""


@tenant.command()
@tenants_option
@json_option
def validate() -> None:
    """Check every tenant request and report all problems at once (no cloud needed).

    \b
    - loads tenants/*.yaml (and tenants/_policy.yaml), keeping file:line:col
    - schema: required and unknown keys (with did-you-mean), types, names, CIDRs, ports
    - across files: unique slugs, sites from the inventory, phase order, links to shared
      networks, overlapping routed CIDRs, directorates' quotas within the tenant's,
      classification (secret: no external gateway, links only from the allow-list;
      confidential and secret: sovereign sites only)
    - exits 1 when there is any error
    """
    from dcctl.cli.render import console, emit_json, print_problems, problems_json
    from dcctl.core.problems import errors_in
    from dcctl.tenants import load_tenants

    tenants, problems = load_tenants(_tenants_dir(), settings().inventory_dir)
    projects = tenants.projects()
    if settings().json:
        emit_json(problems_json(problems) | {"tenants": len(tenants.tenants), "projects": len(projects)})
    else:
        print_problems(problems)
        if not errors_in(problems):
            phases = sorted({p.phase for p in projects})
            console().print(f"[green]tenants OK[/green]: {len(tenants.tenants)} tenants, {len(projects)} projects, "
                            f"phases {', '.join(map(str, phases))}")
    if errors_in(problems):
        click.get_current_context().exit(EXIT_INVALID)


@tenant.command()
@tenants_option
@_select
@click.option("--prune", is_flag=True, help="Also plan deleting managed objects no request asks for.")
@click.option("--refresh", is_flag=True, help="Read every managed project's quotas, not only changed ones.")
@json_option
def plan(slugs: tuple[str, ...], phase: int | None, prune: bool, refresh: bool) -> None:
    """Show what apply would change in the cloud, like `terraform plan`. Changes nothing.

    \b
    - checks the requests first (exit 1 on any error, before any API call)
    - reads the cloud with one list call per resource type; quotas only where changed
    - prints + create, ~ update (old -> new), - delete (only with --prune), and a summary;
      coloured on a terminal, plain in a pipe, JSON with --json
    """
    from dcctl.cli.render import emit_json

    tenants = load_checked()
    options = _options(tenants, slugs, phase, prune=prune, refresh=refresh)
    conn = _connect()
    plan, _snap = _plan_or_exit(conn, tenants, options)
    if settings().json:
        emit_json(plan.as_dict() | {"calls": conn.dcctl_calls.total})
    else:
        click.echo(plan.render(colour=_colour()))


@tenant.command()
@tenants_option
@_select
@click.option("--prune", is_flag=True, help="Also delete managed objects no request asks for.")
@click.option("--refresh", is_flag=True, help="Read every managed project's quotas, not only changed ones.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--concurrency", "-k", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Writes in flight at once.")
@click.option("--network-concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Neutron writes in flight at once (Neutron serialises them on its database).")
@lock_timeout_option
@json_option
def apply(slugs: tuple[str, ...], phase: int | None, prune: bool, refresh: bool, yes: bool,
          concurrency: int, network_concurrency: int, lock_timeout: float) -> None:
    """Make the cloud match the requests.

    \b
    - validates, snapshots and plans exactly as `plan` does, and shows the plan
    - asks before changing anything (unless --yes; refuses without it when not on a terminal)
    - applies in dependency order (domain, project, quota, network, subnet, router, links...)
      with --concurrency writes at once, a progress bar, and retries with backoff on
      transient faults; a retried create first looks its object up so nothing is duplicated
    - stops starting new work on the first hard error; a re-run converges
    - holds the tenants apply lock (waits up to --lock-timeout for another apply)
    - records every action in the audit log (`dcctl audit log --tenant SLUG`) and a
      JSON-lines file in the state dir, and prints where
    - exits 3 when an action failed
    """
    from dcctl.cli.render import emit_json

    tenants = load_checked()
    options = _options(tenants, slugs, phase, prune=prune, refresh=refresh)
    conn = _connect()
    plan, _snap = _plan_or_exit(conn, tenants, options)
    if not settings().json:
        click.echo(plan.render(colour=_colour()))
    if plan.is_empty:
        if settings().json:
            emit_json({"plan": plan.as_dict(), "results": [], "ok": True, "calls": conn.dcctl_calls.total})
        return
    _confirm(yes, f"Apply these {len(plan.actions)} change(s) to cloud '{settings().os_cloud}'?")
    with holding_lock("tenants", lock_timeout):  # another engineer's apply: wait, then name them
        report, record = _run(conn, plan, concurrency, "tenant apply", network_concurrency)
    _report(plan, report, record, conn.dcctl_calls.total)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError("refusing to change the cloud without confirmation", "pass --yes to apply non-interactively")
    if not click.confirm(question, default=False, err=True):
        raise click.exceptions.Abort()


def _run(conn, plan, concurrency: int, command: str, network_concurrency: int = 1):
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.record import ApplyRecord

    record = ApplyRecord(command, settings().os_cloud)
    show_bar = sys.stderr.isatty() and not settings().json
    if not show_bar:
        return apply_tenant_plan(conn, plan, concurrency=concurrency, network_concurrency=network_concurrency,
                                 recorder=record), record
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dcctl.cli.render import console

    with Progress(TextColumn("[bold]applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(plan.actions))

        def progress(result) -> None:
            bar.update(task, advance=1, description=f"{result.action.kind} {result.action.label}")

        report = apply_tenant_plan(conn, plan, concurrency=concurrency, network_concurrency=network_concurrency,
                                   recorder=record, on_progress=progress)
    return report, record


def _report(plan, report, record, calls: int) -> None:
    from dcctl.cli.render import emit_json
    from dcctl.core.executor import Outcome

    if settings().json:
        emit_json({"plan": plan.as_dict(), "ok": report.ok, "summary": report.summary(), "record": str(record.path),
                   "calls": calls,
                   "results": [{"key": r.action.key, "outcome": r.outcome.value, "error": r.error,
                                "attempts": r.attempts, "seconds": round(r.seconds, 3)} for r in report.results]})
    else:
        for r in report.by_outcome(Outcome.FAILED):
            click.echo(f"failed: {r.action.kind} {r.action.label}: {r.error}", err=True)
        click.echo(report.summary())
        click.echo(f"record: {record.path}", err=True)
    if not report.ok:
        if not settings().json:
            click.echo("Nothing else was started. Fix the cause and run apply again: it continues from "
                       "what is in the cloud.", err=True)
        click.get_current_context().exit(EXIT_SERVICE)


@tenant.command()
@tenants_option
@_select
@json_option
def drift(slugs: tuple[str, ...], phase: int | None) -> None:
    """Find what differs in the cloud from the requests, for the tenants already applied.

    \b
    - reads everything, including every managed project's quotas (not only the changed ones)
    - reports objects changed or removed by hand, extra rules, links and grants on managed
      objects, and quota changes made behind dcctl's back
    - never changes anything; `tenant apply` (with --prune for extras) puts things back
    - exit code: 0 no drift, 4 drift found, 1 invalid requests, 3 cloud failure
    """
    from dcctl.cli.render import emit_json

    tenants = load_checked()
    options = _options(tenants, slugs, phase, prune=True, refresh=True, existing_only=True)
    conn = _connect()
    plan, _snap = _plan_or_exit(conn, tenants, options)
    if settings().json:
        emit_json({"drift": not plan.is_empty, "actions": plan.as_dict()["actions"], "counts": plan.counts()})
    elif plan.is_empty:
        click.echo("No drift: the applied tenants match their requests.")
    else:
        plan.notes = [n for n in plan.notes if "--prune" not in n]
        text = plan.render(colour=_colour()).rsplit("\n", 1)[0]
        click.echo(text)
        c = plan.counts()
        click.echo(f"Drift: {c['create']} missing, {c['update']} changed, {c['delete']} extra. "
                   "Run `dcctl tenant apply --prune` to put the cloud back.")
    if not plan.is_empty:
        click.get_current_context().exit(EXIT_DRIFT)


@tenant.command()
@click.argument("slug")
@json_option
def show(slug: str) -> None:
    """A tenant as it is in the cloud now.

    \b
    - its domain and projects (phase, classification, kind from their tags)
    - quota limit and use per project (compute, volume, network)
    - networks with CIDRs and who they are shared with, links it uses, routers, security
      groups, and groups with their role grants
    """
    from dcctl.cli.render import console, emit_json
    from dcctl.tenants.snapshot import read_snapshot
    from dcctl.tenants.view import tenant_view

    conn = _connect()
    snap = read_snapshot(conn)
    view = tenant_view(conn, snap, slug)
    if view is None:
        raise InputError(f"tenant '{slug}' does not exist in the cloud", "run `dcctl tenant apply` to create it")
    if settings().json:
        emit_json(view)
        return
    from rich.table import Table

    out = console()
    managed = "" if view["domain"]["managed"] else " [red](not managed by dcctl)[/red]"
    out.print(f"[bold]{slug}[/bold]: {view['domain']['description']}{managed}")
    for p in view["projects"]:
        head = f"\n[bold]project {p['name']}[/bold]" + (f" (directorate of {p['parent']})" if p["kind"] == "directorate" else "")
        out.print(head + f"  phase {p['phase']}, {p['classification']}, {p['kind']}"
                  + ("" if p["managed"] else " [red]not managed[/red]"))
        quota = Table(title_justify="left", show_edge=False)
        for col in ("quota", "used", "limit", "use %"):
            quota.add_column(col, justify="left" if col == "quota" else "right")
        for row in p["quota"]:
            limit, used = row["limit"], row["used"]
            pct = f"{used / limit:.0%}" if isinstance(limit, (int, float)) and limit > 0 else ""
            quota.add_row(row["quota"], _num(used), "unlimited" if limit == -1 else _num(limit), pct)
        out.print(quota)
        for n in p["networks"]:
            shared = f", shared with {', '.join(n['shared_with'])}" if n["shared_with"] else ""
            out.print(f"  network {n['name']} {', '.join(n['cidrs'])}{shared}")
        for r in p["routers"]:
            out.print(f"  router {r['name']}: {r['interfaces']} interface(s), external gateway "
                      f"{'yes' if r['external_gateway'] else 'no'}")
        if p["links"]:
            out.print(f"  links to: {', '.join(p['links'])}")
        if p["security_groups"]:
            out.print(f"  security groups: {', '.join(p['security_groups'])}")
    for g in view["groups"]:
        out.print(f"group {g['name']}: {'; '.join(g['roles']) or 'no roles'}")


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@tenant.command()
@click.argument("slug")
@click.option("--allow-destroy", is_flag=True, help="Required: say that you mean it.")
@click.option("--force", is_flag=True, help="Destroy even if projects hold servers, volumes or ports dcctl "
                                            "does not manage (those are left in place, never deleted).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--concurrency", "-k", type=click.IntRange(1, 64), default=8, show_default=True)
@json_option
def destroy(slug: str, allow_destroy: bool, force: bool, yes: bool, concurrency: int) -> None:
    """Delete a tenant's cloud objects that dcctl made, and nothing else.

    \b
    - SLUG is a tenant, or one directorate (a child project no request asks for any more)
    - needs --allow-destroy
    - refuses when the tenant is not managed by dcctl, or when its projects hold servers,
      volumes, ports or networking dcctl does not manage (unless --force; even then those
      are left in place)
    - deletes links, router interfaces, routers, networks, security groups, groups, quotas,
      directorates, the top project and the domain, in that order; shows the plan first
    - its tenants/ file is not touched: remove it, or the next apply re-creates the tenant
    """
    from dcctl.cli.render import emit_json
    from dcctl.tenants.destroy import destroy_scope, find_blockers, plan_destroy
    from dcctl.tenants.mapping import is_managed_tags
    from dcctl.tenants.snapshot import read_snapshot

    if not allow_destroy:
        raise InputError(f"refusing to destroy tenant '{slug}' without --allow-destroy",
                         "destroying deletes its projects and networks: add --allow-destroy if you mean it")
    conn = _connect()
    snap = read_snapshot(conn)
    domain, projects, whole = destroy_scope(snap, slug)
    if domain is None:
        raise InputError(f"no tenant or directorate '{slug}' in the cloud")
    if not is_managed_tags((domain if whole else projects[0]).get("tags")):
        raise InputError(f"{'domain' if whole else 'project'} '{slug}' is not managed by dcctl: refusing to touch it",
                         "dcctl only destroys what it created")
    from dcctl.core.cloud import service_error

    try:
        blockers = find_blockers(conn, snap, projects)
    except Exception as exc:  # noqa: BLE001
        raise service_error(exc, "reading the tenant's projects failed") from exc
    if blockers and not force:
        raise InputError(f"tenant '{slug}' still holds what dcctl does not manage: " + "; ".join(blockers.lines()),
                         "remove those first, or pass --force to delete only dcctl's objects and leave them")
    plan = plan_destroy(snap, slug)
    if not settings().json:
        click.echo(plan.render(colour=_colour()))
    if plan.is_empty:
        return
    _confirm(yes, f"Destroy tenant '{slug}' ({len(plan.actions)} deletions)?")
    with holding_lock("tenants", 60):
        report, record = _run(conn, plan, concurrency, "tenant destroy")
    _report(plan, report, record, conn.dcctl_calls.total)
