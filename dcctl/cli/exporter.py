"""``dcctl exporter``: Prometheus metrics for the government cloud, collected in the background."""

from __future__ import annotations

import os
from pathlib import Path

import click

from dcctl.cli.settings import settings
from dcctl.core.errors import InputError


def _intervals(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for value in values:
        name, sep, seconds = value.partition("=")
        try:
            out[name] = float(seconds)
        except ValueError:
            sep = ""
        if not sep or out.get(name, 0) <= 0:
            raise InputError(f"bad --interval '{value}'", "write NAME=SECONDS, e.g. --interval inventory=60")
    return out


def _cloud(explicit: str | None) -> str | None:
    """The exporter reads with the read-only account: DCCTL_EXPORTER_CLOUD before OS_CLOUD."""
    return explicit or os.environ.get("DCCTL_EXPORTER_CLOUD") or settings().os_cloud


tenants_option = click.option("--tenants", "tenants_dir", type=click.Path(path_type=Path), envvar="DCCTL_TENANTS",
                              default=Path("tenants"), show_default=True,
                              help="Tenant requests (quota use, drift, e-service catalogue).")


@click.group()
def exporter() -> None:
    """The dcctl Prometheus exporter."""


@exporter.command()
@click.option("--listen", default="127.0.0.1:9180", show_default=True, help="Address and port to serve on.")
@click.option("--cloud", help="clouds.yaml entry to read with  [default: $DCCTL_EXPORTER_CLOUD, then --os-cloud]")
@click.option("--interval", "intervals", multiple=True, metavar="NAME=SECONDS",
              help="Collection interval of one collector (repeatable), e.g. inventory=60.")
@tenants_option
def serve(listen: str, cloud: str | None, intervals: tuple[str, ...], tenants_dir: Path) -> None:
    """Serve metrics; collectors run in the background on their own intervals.

    \b
    - each collector (inventory, openstack_api, ...) runs in its own thread
    - a scrape returns the latest samples from memory: fast however large the cloud
    - a failing collector keeps its last samples; its last-success timestamp goes stale
    """
    from dcctl.monitoring.serve import build_exporter, serve as run

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"bad --listen '{listen}'", "write HOST:PORT, e.g. 127.0.0.1:9180")
    exp = build_exporter(settings().inventory_dir, _cloud(cloud), _intervals(intervals), tenants_dir)
    click.echo(f"dcctl exporter on http://{listen}/metrics, collectors: {', '.join(exp.specs)}", err=True)
    run(exp, host.strip("[]"), int(port))


@exporter.command("collect")
@click.option("--cloud", help="clouds.yaml entry to read with  [default: $DCCTL_EXPORTER_CLOUD, then --os-cloud]")
@tenants_option
def collect_once(cloud: str | None, tenants_dir: Path) -> None:
    """Run every collector once and print the metrics in Prometheus text format."""
    from dcctl.monitoring.serve import build_exporter

    exp = build_exporter(settings().inventory_dir, _cloud(cloud), {}, tenants_dir)
    for name in exp.specs:
        exp.run_once(name)
    click.echo(exp.exposition().decode(), nl=False)
