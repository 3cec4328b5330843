"""``dcctl buildout``: progress of the government cloud's build-out, for engineers and managers."""

from __future__ import annotations

from pathlib import Path

import click

from dcctl.cli.inventory import load_checked
from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import InputError


@click.group()
def buildout() -> None:
    """Build-out progress: devices per status, space and power committed, progress over time."""


@buildout.command()
@click.option("--site", help="Only this site.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("buildout-report.html"),
              show_default=True, help="HTML file to write.")
@json_option
def report(site: str | None, output: Path) -> None:
    """Write a self-contained HTML report for managers.

    \b
    - per site and hall: devices per status, rack units and power committed vs available
    - each rack's elevation coloured by build-out status
    - a chart of progress over time from the lifecycle dates
    - with --json: the counts per site / hall / status instead
    """
    from dcctl.buildout.report import STATUSES, build_report, status_counts, status_label

    inv = load_checked()
    if site and site not in inv.sites:
        raise InputError(f"unknown site '{site}'", f"sites: {', '.join(sorted(inv.sites))}")
    if settings().json:
        from dcctl.cli.render import emit_json

        rows = []
        for r in sorted(inv.racks.values(), key=lambda r: (r.site, r.hall, r.name)):
            if site and r.site != site:
                continue
            counts = status_counts(inv.devices_in(r.name))
            rows.append({"site": r.site, "hall": r.hall, "rack": r.name,
                         "devices": {status_label(s): counts.get(s, 0) for s in [*STATUSES, None]}})
        emit_json({"racks": rows})
        return
    output.write_text(build_report(inv, site), encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
