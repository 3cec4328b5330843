"""``dcctl playbook``: configure rack hosts with the Ansible playbooks in ``playbooks/``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import InputError, ServiceError

_DIR_KEY = "dcctl.playbooks_dir"
_STATUS_COLOURS = {"ok": "green", "changed": "yellow", "failed": "red", "unreachable": "red",
                   "ignored": "magenta", "skipped": "cyan"}


def _playbooks_dir() -> Path:
    from dcctl.playbooks.catalog import default_playbooks_dir

    return click.get_current_context().meta.get(_DIR_KEY) or default_playbooks_dir()


@click.group()
@click.option("--playbooks", "playbooks_dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="DCCTL_PLAYBOOKS", show_envvar=True, default=None,
              help="Playbooks directory  [default: playbooks/]")
@click.pass_context
def playbook(ctx: click.Context, playbooks_dir: Path | None) -> None:
    """Ansible playbooks for rack hosts, run through ansible-runner against the inventory."""
    if playbooks_dir is not None:
        ctx.meta[_DIR_KEY] = playbooks_dir


@playbook.command("list")
@json_option
def list_() -> None:
    """The playbooks dcctl can run, each with the hosts it targets and what it does.

    \b
    - every top-level *.yml of the playbooks directory
    - the description is the playbook's first comment line
    """
    from dcctl.cli.render import console, emit_json
    from dcctl.playbooks.catalog import list_playbooks

    books = list_playbooks(_playbooks_dir())
    if settings().json:
        emit_json({"playbooks": [{"name": b.name, "path": str(b.path), "hosts": list(b.hosts),
                                  "description": b.description} for b in books]})
        return
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column in ("playbook", "hosts", "description"):
        table.add_column(column)
    for b in books:
        table.add_row(b.name, ", ".join(b.hosts), b.description)
    console().print(table)


@playbook.command()
@click.argument("name")
@click.option("--limit", "limit_spec", metavar="rack:R|site:S|role:X|HOST",
              help="Only these hosts; comma-separated items.")
@click.option("--check", is_flag=True, help="Dry run: report what would change, change nothing.")
@click.option("--diff", is_flag=True, help="Show the changes made to files (or that would be, with --check).")
@click.option("--tags", metavar="T[,T]", help="Only tasks with these tags (e.g. chrony, ssh, sysctl, admins).")
@click.option("--forks", type=click.IntRange(1, 500), help="Hosts configured in parallel  [default: 10]")
@click.option("--known-hosts", type=click.Path(path_type=Path, dir_okay=False), envvar="DCCTL_KNOWN_HOSTS",
              show_envvar=True, help="known_hosts file that hosts' SSH keys must match  [default: OpenSSH's own]")
@click.option("--ssh-key", type=click.Path(path_type=Path, dir_okay=False), envvar="DCCTL_SSH_KEY",
              show_envvar=True, help="Private key to log in with  [default: OpenSSH's own]")
@json_option
def run(name: str, limit_spec: str | None, check: bool, diff: bool, tags: str | None,
        forks: int | None, known_hosts: Path | None, ssh_key: Path | None) -> None:
    """Run a playbook on rack hosts and show each host's results live.

    \b
    - builds the Ansible inventory in memory from inventory/ (groups site_*, hall_*,
      rack_*, role_*; host vars such as ntp_servers), no hand-written inventory
    - checks the playbook name and --limit against the inventory before Ansible starts
    - runs ansible-playbook through ansible-runner; SSH host keys are always verified
      (--known-hosts, or OpenSSH's files): an unknown or changed key makes a host unreachable
    - prints each task and its result per host (ok / changed / failed / unreachable)
    - ends with a recap per host, the run id and its artifact directory
    - records the run (who, when, limit, duration, per-host result) in the audit log and
      keeps its artifacts under <state>/playbook-runs/RUN_ID for `dcctl playbook show`
    - exits 3 when any host failed or was unreachable (the other hosts still finish)
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.inventory.export import ansible_inventory
    from dcctl.playbooks import runs
    from dcctl.playbooks.catalog import find_playbook
    from dcctl.playbooks.runner import RunRequest, run_playbook
    from dcctl.playbooks.targets import SshTrust, resolve_limit, runner_inventory

    inv = load_checked()
    book = find_playbook(_playbooks_dir(), name)
    listing = ansible_inventory(inv)
    limit = resolve_limit(limit_spec, inv, listing)
    _check_targets(book, listing, limit)
    trust = SshTrust(known_hosts=known_hosts.resolve() if known_hosts else None,
                     key=ssh_key.resolve() if ssh_key else None)
    trust.check()
    tag_list = tuple(t.strip() for t in (tags or "").split(",") if t.strip())
    if tags is not None and not tag_list:
        raise InputError("empty --tags", "give one or more tags, e.g. --tags chrony,ssh")
    request = RunRequest(playbook=book, playbooks_dir=_playbooks_dir(), inventory=runner_inventory(inv, trust),
                         trust=trust, limit=limit, check=check, diff=diff, tags=tag_list, forks=forks,
                         verbosity=max(settings().verbose - 1, 0))

    run_id = runs.new_run_id(book.name)
    summary = runs.RunSummary(run_id=run_id, playbook=book.name, limit=limit_spec, user=runs.user(),
                              start=time.strftime("%Y-%m-%dT%H:%M:%S%z"), check=check, diff=diff,
                              tags=list(tag_list), forks=forks, hosts=list(limit.hosts) if limit else [])
    live = _LiveOutput(show_ok=settings().verbose > 0, show_diff=diff) if not settings().json else None
    if live:
        mode = " in check mode (nothing is changed)" if check else ""
        click.echo(f"playbook {book.name} on {limit.spec if limit else 'all hosts'}{mode}: run {run_id}")
    started = time.monotonic()
    try:
        outcome = run_playbook(request, run_id, runs.runs_dir() / run_id, live.progress() if live else None)
    finally:
        if live:
            live.flush()
    summary.duration = time.monotonic() - started
    summary.recap, summary.rc, summary.runner_status = outcome.recap, outcome.rc, outcome.status
    summary.artifacts, summary.error = str(outcome.artifacts), outcome.error
    runs.save(summary)
    runs.record_run(summary)
    _finish(summary)


def _check_targets(book, listing, limit) -> None:
    """A run that could reach no host is refused before Ansible starts."""
    from dcctl.playbooks.targets import play_hosts

    targets = play_hosts(listing, book.hosts)
    if targets is None:
        return  # patterns too rich to evaluate here; Ansible will say
    if not targets:
        raise InputError(f"playbook {book.name} targets {', '.join(book.hosts)}: no host of the inventory",
                         "check the plays' hosts: against the groups site_*, hall_*, rack_*, role_*")
    if limit is not None and not targets & set(limit.hosts):
        raise InputError(f"--limit {limit.spec!r} selects none of the hosts playbook {book.name} "
                         f"targets ({', '.join(book.hosts)})",
                         f"its hosts: {', '.join(sorted(targets)[:10])}{' ...' if len(targets) > 10 else ''}")


def _finish(summary) -> None:
    from dcctl.cli.render import emit_json

    if settings().json:
        emit_json(summary.as_dict())
    else:
        _print_recap(summary)
        click.echo(f"run {summary.run_id} ({summary.duration:.1f} s): artifacts in {summary.artifacts}")
    bad = summary.recap.bad_hosts
    if summary.error and not bad:
        raise ServiceError(f"playbook {summary.playbook} stopped before finishing:\n{summary.error}",
                           f"dcctl playbook show {summary.run_id}")
    if bad:
        raise ServiceError(f"{len(bad)} of {len(summary.recap.hosts)} hosts failed or were unreachable: "
                           f"{', '.join(bad)}", f"dcctl playbook show {summary.run_id}")


@playbook.command()
@click.argument("run_id", required=False)
@json_option
def show(run_id: str | None) -> None:
    """A past run: its recap per host and the failed tasks' messages.

    \b
    - RUN_ID as printed by `playbook run`, or `last`
    - without RUN_ID, the recent runs: id, playbook, limit, who, start, duration, status
    """
    from dcctl.cli.render import emit_json
    from dcctl.playbooks import runs

    if run_id is None:
        recent = runs.recent()
        if settings().json:
            emit_json({"runs": [_run_row(s) for s in recent]})
            return
        _print_runs(recent)
        return
    summary = runs.load(run_id)
    if settings().json:
        emit_json(summary.as_dict())
        return
    flags = " ".join(f for f, on in (("--check", summary.check), ("--diff", summary.diff)) if on)
    tags = f" --tags {','.join(summary.tags)}" if summary.tags else ""
    click.echo(f"run {summary.run_id}: playbook {summary.playbook} on {summary.limit or 'all hosts'}"
               f"{(' ' + flags) if flags else ''}{tags}")
    click.echo(f"by {summary.user} at {summary.start}, {summary.duration:.1f} s, status "
               + click.style(summary.status, fg=_STATUS_COLOURS.get(summary.status)))
    _print_recap(summary)
    if summary.error:
        click.secho("ansible-playbook stopped:", fg="red")
        click.echo(_indent(summary.error))
    failures = summary.recap.failures
    if failures:
        click.secho(f"failed tasks ({len(failures)}):", bold=True)
        for f in failures:
            click.echo(f"{click.style(f.status, fg='red')} {f.host} · {f.task}")
            click.echo(_indent(f.message))
    click.echo(f"artifacts: {summary.artifacts}")


def _run_row(s) -> dict:
    return {"run_id": s.run_id, "playbook": s.playbook, "limit": s.limit, "user": s.user, "start": s.start,
            "duration": round(s.duration, 1), "check": s.check, "status": s.status,
            "failed_hosts": s.recap.bad_hosts}


def _print_runs(recent) -> None:
    from rich.table import Table

    from dcctl.cli.render import console

    if not recent:
        click.echo("no playbook run recorded yet")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("run", "playbook", "limit", "user", "start", "s", "status"):
        table.add_column(column, justify="right" if column == "s" else "left")
    for s in recent:
        colour = _STATUS_COLOURS.get(s.status, "")
        status = s.status + (" (check)" if s.check else "")
        table.add_row(s.run_id, s.playbook, s.limit or "all", s.user, s.start, f"{s.duration:.1f}",
                      f"[{colour}]{status}[/]" if colour else status)
    console().print(table)


def _print_recap(summary) -> None:
    from rich.markup import escape
    from rich.table import Table

    from dcctl.cli.render import console

    recap = summary.recap
    if not recap.hosts:
        click.echo("no host was reached")
        return
    title = "Recap" + (" (check mode: changed = would change)" if summary.check else "")
    if not recap.stats_seen:
        title += " (incomplete: Ansible stopped before its own recap; counts so far)"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in ("host", "ok", "changed", "failed", "unreachable", "skipped", "status", "reason"):
        table.add_column(column, justify="right" if column in ("ok", "changed", "failed", "unreachable", "skipped") else "left")
    for host, r in sorted(recap.hosts.items()):
        colour = _STATUS_COLOURS[r.status]
        table.add_row(host, str(r.ok), str(r.changed), str(r.failed), str(r.unreachable), str(r.skipped),
                      f"[{colour}]{r.status}[/]", escape(r.reason))
    console().print(table)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


class _LiveOutput:
    """Each task as it starts, each host's result as it comes (ok hosts counted, shown with -v),
    then the task's counts."""

    def __init__(self, show_ok: bool, show_diff: bool) -> None:
        self.show_ok, self.show_diff = show_ok, show_diff
        self.counts: dict[str, int] = {}

    def progress(self):
        from dcctl.playbooks.runner import Progress

        return Progress(task=self.task, result=self.result)

    def task(self, title: str) -> None:
        self.flush()
        click.secho(title, bold=True)

    def result(self, outcome) -> None:
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if outcome.status == "skipped" or (outcome.status == "ok" and not self.show_ok):
            return
        line = f"  {click.style(f'{outcome.status:<11}', fg=_STATUS_COLOURS.get(outcome.status))} {outcome.host}"
        if outcome.message:
            first = next((l.strip() for l in outcome.message.splitlines() if l.strip()), "")
            line += f": {first[:200]}"
        click.echo(line)
        if self.show_diff and outcome.diff:
            click.echo(_indent(outcome.diff, "      "))

    def flush(self) -> None:
        if self.counts:
            order = ("ok", "changed", "failed", "unreachable", "ignored", "skipped")
            parts = [f"{k} {self.counts[k]}" for k in order if self.counts.get(k)]
            click.secho("  " + ", ".join(parts), dim=True)
        self.counts = {}
