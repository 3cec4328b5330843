"""``dcctl audit``: who changed what and when, and proof that nobody edited the record."""

from __future__ import annotations

import click

from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import EXIT_INVALID


@click.group()
def audit() -> None:
    """The hash-chained audit log of everything dcctl applied."""


@audit.command("log")
@click.option("--tenant", help="Only records about this tenant.")
@click.option("--rack", help="Only records about this rack.")
@click.option("--playbook", help="Only records about this playbook.")
@click.option("--since", help="Only records at or after this date (YYYY-MM-DD or ISO time, UTC).")
@click.option("--limit", type=int, help="At most this many records.")
@json_option
def log_(tenant: str | None, rack: str | None, playbook: str | None, since: str | None, limit: int | None) -> None:
    """Show audit records, oldest first.

    \b
    - who (OS user and cloud identity), when, command, target, action, before / after, result
    - filters: --tenant, --rack, --playbook, --since
    """
    from dcctl.audit.log import Filters
    from dcctl.cli.render import console, emit_json
    from dcctl.core.records import store

    kind, target = next(((k, t) for k, t in (("tenant", tenant), ("rack", rack), ("playbook", playbook)) if t),
                        (None, None))
    records = [r.as_dict() for r in store().records(Filters(kind=kind, target=target, since=since, limit=limit))]
    if settings().json:
        emit_json(records)
        return
    from rich.table import Table

    table = Table(title=f"Audit log ({store().url.split('@')[-1]})", title_justify="left")
    for col in ("id", "time", "who", "kind", "target", "action", "result", "error"):
        table.add_column(col)
    for r in records:
        who = r["os_user"] + (f" / {r['identity']}" if r["identity"] else "")
        style = "" if r["result"] in ("done", "approved", "ok") else "red"
        table.add_row(str(r["id"]), r["time"][:19], who, r["kind"], r["target"], r["action"],
                      f"[{style}]{r['result']}[/{style}]" if style else r["result"], r["error"][:80])
    console().print(table)


@audit.command()
@json_option
def verify() -> None:
    """Recompute the hash chain; exit 1 naming the first record that was edited or removed."""
    from dcctl.audit.log import verify as check
    from dcctl.cli.render import emit_json
    from dcctl.core.records import store

    s = store()
    broken = check(s)
    count = sum(1 for _ in s.records())
    if settings().json:
        emit_json({"ok": broken is None, "records": count,
                   "first_broken": broken.id if broken else None})
    if broken is None:
        if not settings().json:
            click.echo(f"{count} records, chain intact")
        return
    reason = broken.error if broken.error and not broken.kind else "its hash does not match (edited, or a record before it changed)"
    click.echo(f"error: audit log broken at record {broken.id}: {reason}", err=True)
    click.get_current_context().exit(EXIT_INVALID)
