"""``dcctl tenant``: validate, plan, apply, drift, show and destroy the tenants in ``tenants/``.

Exit codes: 0 ok, 1 invalid requests or a plan that cannot be made, 3 the cloud
failed; ``drift`` exits 4 when the cloud differs from the requests; 130 an apply
stopped by Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dcctl.cli.render import confirm
from dcctl.cli.locking import holding_lock, lock_timeout_option
from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_SERVICE, InputError

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
    - records every action in the audit log as it finishes (`dcctl audit log --tenant SLUG`)
    - exits 3 when an action failed, or when its audit record could not be written
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
    confirm(yes, f"Apply these {len(plan.actions)} change(s) to cloud '{settings().os_cloud}'?")
    with holding_lock("tenants", lock_timeout):  # another engineer's apply: wait, then name them
        report, record = _run(conn, plan, concurrency, network_concurrency)
    _report(plan, report, record, conn.dcctl_calls.total)



def _run(conn, plan, concurrency: int, network_concurrency: int = 1):
    from dcctl.audit.recorder import AuditRecorder
    from dcctl.core.executor import ApplyInterrupted
    from dcctl.tenants.apply import apply_tenant_plan

    record = AuditRecorder("tenant", settings().os_cloud)
    show_bar = sys.stderr.isatty() and not settings().json
    if not show_bar:
        try:
            return apply_tenant_plan(conn, plan, concurrency=concurrency, network_concurrency=network_concurrency,
                                     recorder=record), record
        except ApplyInterrupted as stopped:  # Ctrl-C: what was in flight finished and is recorded
            return stopped.report, record
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dcctl.cli.render import console

    with Progress(TextColumn("[bold]applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(plan.actions))

        def progress(result) -> None:
            bar.update(task, advance=1, description=f"{result.action.kind} {result.action.label}")

        try:
            report = apply_tenant_plan(conn, plan, concurrency=concurrency, network_concurrency=network_concurrency,
                                       recorder=record, on_progress=progress)
        except ApplyInterrupted as stopped:
            report = stopped.report
    return report, record


def _report(plan, report, record, calls: int) -> None:
    """The outcome, where its audit records are; exit non-zero when anything (records too) failed."""
    from dcctl.cli.render import echo_audit, emit_json, exit_on_audit_errors
    from dcctl.core.executor import Outcome

    if settings().json:
        emit_json({"plan": plan.as_dict(), "ok": report.ok and not record.errors, "summary": report.summary(),
                   "audit": {"written": record.written, "errors": record.errors},
                   "calls": calls, "interrupted": report.interrupted,
                   "results": [{"key": r.action.key, "outcome": r.outcome.value, "error": r.error,
                                "attempts": r.attempts, "seconds": round(r.seconds, 3)} for r in report.results]})
    else:
        for r in report.by_outcome(Outcome.FAILED):
            click.echo(f"failed: {r.action.kind} {r.action.label}: {r.error}", err=True)
        click.echo(report.summary())
        echo_audit(record, plan)
    if report.interrupted:
        if not settings().json:
            click.echo("Interrupted: the calls in flight finished and every action is in the audit log; nothing "
                       "else was started. Run apply again: it continues from what is in the cloud.", err=True)
        click.get_current_context().exit(EXIT_INTERRUPTED)
    if not report.ok:
        if not settings().json:
            click.echo("Nothing else was started. Fix the cause and run apply again: it continues from "
                       "what is in the cloud.", err=True)
        click.get_current_context().exit(EXIT_SERVICE)
    exit_on_audit_errors(record, json_output=settings().json)


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
    confirm(yes, f"Destroy tenant '{slug}' ({len(plan.actions)} deletions)?")
    with holding_lock("tenants", 60):
        report, record = _run(conn, plan, concurrency)
    _report(plan, report, record, conn.dcctl_calls.total)


# ------------------------------------------------------------------ requests from ministries

requests_option = click.option(
    "--requests", "requests_dir", type=click.Path(file_okay=False, path_type=Path), envvar="DCCTL_REQUESTS",
    default=Path("requests"), show_default=True, help="Folder of requests not approved yet (and its _intake.yaml).")


@tenant.group()
def request() -> None:
    """Tenant requests from ministries: write one, check it, approve it. No cloud is involved.

    A request waits in requests/ until an engineer approves it into tenants/; plan and
    apply read only tenants/, so nothing reaches the cloud without approval.
    """


@request.command("new")
@requests_option
@tenants_option
@click.option("--slug", help="Short name (default: from the English name).")
@click.option("--name-en", help="English name, e.g. 'Ministry of Water Resources'.")
@click.option("--name-ar", help="Arabic name, in Arabic letters.")
@click.option("--kind", type=click.Choice(["ministry", "independent-entity", "governorate"]))
@click.option("--phase", type=click.IntRange(1, 3), help="Onboarding phase (default: 1 ministries, 2 others).")
@click.option("--site", "sites", multiple=True, help="Data-centre site (repeatable; default: a sovereign site).")
@click.option("--classification", type=click.Choice(["public", "internal", "confidential", "secret"]))
@click.option("--description")
@click.option("--contact-name")
@click.option("--contact-email")
@click.option("--contact-phone")
@click.option("--size", type=click.Choice(["small", "medium", "large"]), help="Quota preset (default: small).")
@click.option("--cidr", help="Address range of the first network (default: a free one).")
@click.option("--link", "links", multiple=True, help="Shared network to join, OWNER/NETWORK (repeatable).")
@click.option("--no-links", is_flag=True, help="Join no shared network (default: secretariat/gov-docs).")
@click.option("--yes", "-y", is_flag=True, help="Ask nothing: defaults for what the flags leave out.")
@json_option
def request_new(requests_dir: Path, yes: bool, no_links: bool, **given) -> None:
    """Write a new request, commented in English and Arabic, to requests/<slug>.yaml.

    \b
    - asks for what the flags leave out, with defaults, when run on a terminal
      (--yes, or no terminal: uses the defaults; names and e-mail must then be flags)
    - defaults: phase from the kind, a sovereign site, internal data, a small quota,
      a free address range, the secretariat's gov-docs link, three groups
    - never overwrites a file; then checks the request as `request check` does
      (exit 1 when it has problems: the file stays, to be completed)
    """
    from dcctl.cli.render import emit_json
    from dcctl.tenants.request import render_request, write_request

    draft = _draft(given, no_links, ask=not yes and sys.stdin.isatty() and not settings().json)
    path = write_request(render_request(draft), requests_dir, draft.slug)
    check = _check_request(path, requests_dir)
    if settings().json:
        emit_json({"written": str(path), "check": check.as_dict()})
    else:
        click.echo(f"written: {path}")
        _print_check(check)
    if not check.ok:
        click.get_current_context().exit(EXIT_INVALID)


def _draft(given: dict, no_links: bool, ask: bool):
    """The flags, completed by prompts (on a terminal) or defaults; missing names and e-mail refused."""
    from dcctl.tenants import load_tenants
    from dcctl.tenants.request import (RequestDraft, default_links, default_phase, default_sites, split_list,
                                       suggest_cidr, suggest_slug)

    approved, _ = load_tenants(_tenants_dir())
    sites = _inventory_sites()
    value = dict(given)

    def ask_for(name: str, text: str, default=None, **kw):
        if value.get(name) in (None, (), ""):
            if ask:
                value[name] = click.prompt(text, default=default, **kw)
            elif default is not None:
                value[name] = default

    ask_for("name_en", "English name (e.g. Ministry of Water Resources)")
    ask_for("name_ar", "Arabic name / الاسم بالعربية")
    ask_for("slug", "Short name (slug)", suggest_slug(value.get("name_en") or "") or None)
    ask_for("kind", "Kind", "ministry", type=click.Choice(["ministry", "independent-entity", "governorate"]))
    ask_for("phase", "Onboarding phase", default_phase(value["kind"]), type=click.IntRange(1, 3))
    ask_for("classification", "Data classification", "internal",
            type=click.Choice(["public", "internal", "confidential", "secret"]))
    if not value.get("sites"):
        default = ", ".join(default_sites(sites, value["classification"])) or None
        ask_for("sites", "Sites (comma-separated)", default)
    ask_for("contact_email", "Contact e-mail")
    ask_for("contact_name", "Contact name", f"{value.get('name_en') or 'the entity'} cloud team")
    ask_for("contact_phone", "Contact phone (optional)", "")
    ask_for("description", "Description (optional)", "")
    ask_for("size", "Quota size", "small", type=click.Choice(["small", "medium", "large"]))
    ask_for("cidr", "Address range of the first network", suggest_cidr(approved))
    if not no_links and not value.get("links"):
        ask_for("links", "Shared networks to join (comma-separated, '-' for none)",
                ", ".join(default_links(approved)) or "-")
    missing = [f"--{k.replace('_', '-')}" for k in ("name_en", "name_ar", "slug", "contact_email") if not value.get(k)]
    if missing:
        raise InputError(f"a new request needs {', '.join(missing)}",
                         "pass them as flags, or run without --yes on a terminal to be asked")
    value["sites"] = split_list(value.get("sites"))
    value["links"] = [] if no_links else split_list(value.get("links"))
    return RequestDraft(**value)


def _inventory_sites():
    """The inventory's sites, to propose one; None when the inventory does not load."""
    from dcctl.core.problems import errors_in
    from dcctl.inventory import load_inventory

    inventory, problems = load_inventory(settings().inventory_dir)
    return None if errors_in(problems) else inventory.sites


def _check_request(path: Path, requests_dir: Path):
    from dcctl.tenants.request import check_request

    return check_request(path, _tenants_dir(), settings().inventory_dir, requests_dir)


def _print_check(check) -> None:
    from dcctl.tenants.messages import report_lines

    for line in report_lines(check.problems):
        click.echo(line)


@request.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@requests_option
@tenants_option
@json_option
def request_check(file: Path, requests_dir: Path) -> None:
    """Explain every problem of a request in plain English and Arabic, with file:line.

    \b
    - checks it with the approved tenants in tenants/ (same rules as `tenant validate`:
      a taken short name, an unknown site or link, a site not cleared for the data...)
    - and the intake rules: an address range no other tenant uses, quotas within the
      data centre's ceiling (requests/_intake.yaml)
    - never talks to the cloud; exits 1 when there is an error (warnings do not block)
    """
    from dcctl.cli.render import emit_json

    check = _check_request(file, requests_dir)
    if settings().json:
        emit_json(check.as_dict())
    else:
        _print_check(check)
    if not check.ok:
        click.get_current_context().exit(EXIT_INVALID)


@request.command("approve")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--by", help="Who approves (recorded with the OS user)  [default: the OS user]")
@requests_option
@tenants_option
@json_option
def request_approve(file: Path, by: str | None, requests_dir: Path) -> None:
    """Approve a request: it moves into tenants/ and the approval goes to the audit log.

    \b
    - checks it again (as `request check`) and refuses on any error
    - refuses when tenants/<slug>.yaml exists already
    - moves the file, unchanged, to tenants/<slug>.yaml
    - records who (OS user and --by), when, the file, the slug and the content's SHA-256
      in the audit log (`dcctl audit log --tenant SLUG`); if that fails, nothing moves
    - changes nothing in the cloud: `dcctl tenant plan --tenant SLUG` shows what apply would do
    """
    from dcctl.cli.render import emit_json
    from dcctl.tenants.request import approve_request

    check, approval = approve_request(file, _tenants_dir(), settings().inventory_dir, requests_dir, by)
    if settings().json:
        emit_json({"approved": approval is not None, "approval": approval.as_dict() if approval else None,
                   "check": check.as_dict()})
    elif approval is None:
        _print_check(check)
        click.echo("Not approved: the request has the problems above. / لم تتم الموافقة: في الطلب المشكلات أعلاه.",
                   err=True)
    else:
        click.echo(f"approved: {approval.source} -> {approval.target} by {approval.by} (OS user {approval.os_user}), "
                   f"sha256 {approval.sha256[:16]}..., audit record {approval.record_id}")
        click.echo(f"next: commit {approval.target}, then `dcctl tenant plan --tenant {approval.slug}`")
    if approval is None:
        click.get_current_context().exit(EXIT_INVALID)
