"""``dcctl service``: the e-service catalogue (each tenant's ``services:``) and probes of it.

Exit codes: 0 ok, 1 the catalogue has errors (nothing probed), 3 a critical service
is down (``check``).
"""

from __future__ import annotations

from pathlib import Path

import click

from dcctl.cli.settings import json_option, settings
from dcctl.cli.tenant import tenants_option
from dcctl.core.errors import EXIT_SERVICE, InputError

filters = [
    click.option("--tenant", "-t", "tenants", multiple=True, help="Only this tenant's services (repeatable)."),
    click.option("--category", "-c", "categories", multiple=True, help="Only this portal category (repeatable)."),
    click.option("--service", "-s", "slugs", multiple=True, help="Only this service (repeatable)."),
]


def _filtered(fn):
    for option in reversed(filters):
        fn = option(fn)
    return tenants_option(fn)


def _catalogue(tenants: tuple[str, ...], categories: tuple[str, ...], slugs: tuple[str, ...]):
    """The checked catalogue narrowed by the filters; exit 1 with every problem when it has errors."""
    from dcctl.cli.render import stop_on_errors
    from dcctl.core.schema_problems import did_you_mean
    from dcctl.services import load_catalogue
    from dcctl.services.catalogue import select

    directory = click.get_current_context().meta.get("dcctl.tenants_dir", Path("tenants"))
    services, problems = load_catalogue(directory)
    stop_on_errors(problems)
    for wanted, known, what in ((tenants, {s.tenant for s in services}, "tenant with services"),
                                (categories, {s.category for s in services}, "category"),
                                (slugs, {s.slug for s in services}, "service")):
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise InputError(f"no {what} '{unknown[0]}' in the catalogue", did_you_mean(unknown[0], sorted(known)))
    return select(services, tenants, categories, slugs)


@click.group()
def service() -> None:
    """The citizen e-services catalogue: list the services tenants run and probe them."""


@service.command("list")
@_filtered
@json_option
def list_services(tenants: tuple[str, ...], categories: tuple[str, ...], slugs: tuple[str, ...]) -> None:
    """List the catalogued services (no network needed).

    \b
    - reads every tenants/*.yaml and its `services:` list, checked as `dcctl tenant validate`
      does (exit 1 with every problem, located file:line, before anything else)
    - shows each service's tenant, owner directorate, portal category, criticality,
      protocol and endpoints; --json for machines
    """
    from dcctl.cli.render import console, emit_json

    chosen = _catalogue(tenants, categories, slugs)
    if settings().json:
        emit_json([{"service": s.slug, "name": {"en": s.name_en, "ar": s.name_ar}, "tenant": s.tenant,
                    "directorate": s.directorate or None, "category": s.category,
                    "criticality": s.criticality, "protocol": s.protocol, "endpoints": list(s.endpoints),
                    "expect": {"status": list(s.expect_status), "contains": s.expect_contains}
                    if s.protocol != "tcp" else None, "timeout": s.timeout,
                    "ca_bundle": str(s.ca_bundle) if s.ca_bundle else None} for s in chosen])
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("service", "name", "tenant", "directorate", "category", "criticality", "endpoints"):
        table.add_column(column)
    for s in chosen:
        table.add_row(s.slug, s.name_en, s.tenant, s.directorate or "-", s.category, s.criticality,
                      "\n".join(s.endpoints))
    out = console()
    out.print(table)
    out.print(f"{len(chosen)} service(s), {len({s.tenant for s in chosen})} tenant(s), "
              f"{sum(s.criticality == 'critical' for s in chosen)} critical")


@service.command()
@_filtered
@click.option("--ca-bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              envvar="DCCTL_SERVICES_CA", help="Also trust this CA file for https endpoints  "
                                               "[default: $DCCTL_SERVICES_CA]")
@json_option
def check(tenants: tuple[str, ...], categories: tuple[str, ...], slugs: tuple[str, ...],
          ca_bundle: Path | None) -> None:
    """Probe the services now, concurrently, and show what answered.

    \b
    - every endpoint at once, each bounded by its service's `timeout` (default 5 s)
    - http(s): the status code must be one of `expect.status` (default 200) and the body
      must contain `expect.contains` when given; tcp: the port must accept a connection
    - TLS is verified (system CAs, the service's `ca_bundle`, --ca-bundle); the days left
      on each certificate are shown, even for one that is not trusted
    - a service is up when all its endpoints are
    - exits 3 when a service of criticality `critical` is down (the same code as any
      service that failed); other services down are reported with exit 0
    """
    from dcctl.cli.render import console, emit_json
    from dcctl.services.model import critical_down
    from dcctl.services.probe import probe_services

    chosen = _catalogue(tenants, categories, slugs)
    results = probe_services(chosen, extra_ca=ca_bundle)
    down = [r for r in results if not r.up]
    if settings().json:
        emit_json({"ok": not critical_down(results), "up": len(results) - len(down), "down": len(down),
                   "services": [r.as_dict() for r in results]})
    else:
        _print_results(console(), results)
    if critical_down(results):
        if not settings().json:
            names = ", ".join(r.service.slug for r in critical_down(results))
            click.echo(f"critical service(s) down: {names}", err=True)
        click.get_current_context().exit(EXIT_SERVICE)


def _print_results(out, results) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("service", "tenant", "criticality", "state", "ms", "status", "cert days", "detail"):
        table.add_column(column, justify="right" if column in ("ms", "status", "cert days") else "left")
    for r in results:
        state = "[green]up[/green]" if r.up else "[red]down[/red]"
        statuses = ",".join(str(e.status) for e in r.endpoints if e.status is not None) or "-"
        days = r.as_dict()["cert_days_left"]
        shown_days = "-" if days is None else (f"[red]{days:.0f}[/red]" if days < 14 else f"{days:.0f}")
        table.add_row(r.service.slug, r.service.tenant, r.service.criticality, state,
                      f"{r.seconds * 1000:.0f}", statuses, shown_days, escape("; ".join(r.errors)))
    out.print(table)
    down = [r for r in results if not r.up]
    out.print(f"{len(results) - len(down)} up, {len(down)} down"
              + (f" ({sum(r.service.criticality == 'critical' for r in down)} critical)" if down else ""))
