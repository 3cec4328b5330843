"""How commands print: JSON for machines, rich tables and coloured problems for people."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from dcctl.core.problems import Problem, Severity


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # piped output is not cut to 80 columns: engineers grep and paste it
    return Console(stderr=stderr, highlight=False, soft_wrap=True,
                   width=None if stream.isatty() else 200)


def print_problems(problems: list[Problem]) -> None:
    """Problems to stderr, one per line, editor-clickable, then a count."""
    out = console(stderr=True)
    for p in problems:
        colour = "red" if p.severity is Severity.ERROR else "yellow"
        line = f"[bold]{p.location}[/bold]: [{colour}]{p.severity.value}[/{colour}]: {_esc(p.message)}"
        if p.hint:
            line += f"\n    [dim]fix: {_esc(p.hint)}[/dim]"
        out.print(line)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if problems:
        out.print(f"{errors} error(s), {warnings} warning(s)")


def stop_on_errors(problems: list[Problem]) -> None:
    """Before any service is touched: every problem shown; exit 1 if one is an error."""
    from dcctl.cli.settings import settings
    from dcctl.core.errors import EXIT_INVALID

    errors = any(p.severity is Severity.ERROR for p in problems)
    if errors and settings().json:
        emit_json(problems_json(problems))
    elif problems and not settings().json:
        print_problems(problems)  # warnings alone are shown and the command goes on
    if errors:
        click.get_current_context().exit(EXIT_INVALID)


def problems_json(problems: list[Problem]) -> dict[str, Any]:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    return {"ok": errors == 0, "errors": errors, "warnings": len(problems) - errors,
            "problems": [p.as_dict() for p in problems]}


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def confirm(yes: bool, question: str, refusal: str = "refusing to change the cloud without confirmation",
            hint: str = "pass --yes to apply non-interactively") -> None:
    """Ask before a change, unless ``--yes``; without a terminal to ask on, refuse (nothing changed)."""
    from dcctl.core.errors import InputError

    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(refusal, hint)
    click.confirm(question, default=False, abort=True, err=True)


def echo_audit(recorder, plan) -> None:
    """How many records an apply of ``plan`` left in the audit log, the command that shows them,
    and any record that could not be written."""
    import time

    tenants = {a.scope for a in plan.actions if a.scope}
    hint = (f"dcctl audit log --tenant {next(iter(tenants))}" if len(tenants) == 1
            else f"dcctl audit log --since {time.strftime('%Y-%m-%d', time.gmtime())}")
    click.echo(f"audit: {recorder.written} record(s) in the audit log: `{hint}`", err=True)
    for problem in recorder.errors:
        click.echo(f"error: the audit record of {problem} could not be written", err=True)


def exit_on_audit_errors(recorder, *, json_output: bool) -> None:
    """An apply whose records the audit log lacks fails (exit 3): the cloud changed unrecorded."""
    from dcctl.core.errors import EXIT_SERVICE

    if not recorder.errors:
        return
    if not json_output:
        click.echo("The cloud changed as shown, but the audit log lacks the records above: check the "
                   "state URL / disk, then `dcctl audit verify`.", err=True)
    click.get_current_context().exit(EXIT_SERVICE)
