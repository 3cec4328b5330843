"""``dcctl lab``: the local lab cloud (Keystone, Neutron, Nova, Cinder, Ironic, BMCs, hosts, Prometheus)."""

from __future__ import annotations

import time

import click

from dcctl.cli.settings import json_option, settings


def _lab():
    from dcctl.lab.paths import LabPaths
    from dcctl.lab.service import Lab

    return Lab(paths=LabPaths.default(), inventory_dir=settings().inventory_dir)


def _sayer():
    """Progress to stderr (not with --json); callable from the worker threads of `up`."""
    quiet = settings().json
    return lambda message: None if quiet else click.echo(message, err=True)


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


@click.group()
def lab() -> None:
    """The lab: real OpenStack, Ironic, Redfish BMCs, SSH hosts and Prometheus on loopback."""


@lab.command()
@click.option("--only", metavar="A,B", help="Start only these services (and what they depend on).")
@json_option
def up(only: str | None) -> None:
    """Start the lab and wait until every service answers.

    \b
    - installs the lab virtualenv and Debian packages if missing (`lab install`)
    - leaves running services alone: a second `up` only checks
    - starts the others, each once its dependencies answer, and waits for it
    - registers catalog entries and accounts, writes <state>/clouds.yaml
    - on failure stops what it started and shows the failing service's log
    """
    from dcctl.cli.render import emit_json
    from dcctl.lab import orchestrate

    lab_ = _lab()
    started = time.monotonic()
    outcomes = orchestrate.up(lab_, only=_names(only), say=_sayer())
    elapsed = time.monotonic() - started
    if settings().json:
        emit_json({"seconds": round(elapsed, 2), "services": orchestrate.outcomes_as_dicts(outcomes),
                   "clouds_yaml": str(lab_.paths.clouds_yaml)})
        return
    for o in outcomes:
        click.echo(f"{o.name:<11} {o.action:<11} {o.seconds:5.1f}s {o.note}".rstrip())
    click.echo(f"lab up in {elapsed:.1f}s; state in {lab_.paths.root}")
    click.echo("try: eval \"$(dcctl lab env)\" && openstack project list")


@lab.command()
@json_option
def down() -> None:
    """Stop exactly the processes the lab started (by the PID files in its state dir).

    \b
    - stops services in reverse start order, TERM then KILL, with their workers
    - keeps state (databases, keys, clouds.yaml) for the next `up`
    """
    from dcctl.cli.render import emit_json
    from dcctl.lab import orchestrate

    stopped = orchestrate.down(_lab(), say=_sayer())
    if settings().json:
        emit_json({"stopped": stopped})
    elif not stopped:
        click.echo("nothing was running")


@lab.command()
@json_option
def status() -> None:
    """Each service: up/down, URL, PID and memory; and the lab's total memory."""
    from dcctl.cli.render import console, emit_json
    from dcctl.lab import orchestrate

    rows, total = orchestrate.status(_lab())
    if settings().json:
        emit_json({"services": [vars(r) for r in rows], "total_rss": total})
        return
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column in ("service", "state", "url", "pid", "rss"):
        table.add_column(column, justify="right" if column in ("pid", "rss") else "left")
    colours = {"up": "green", "starting": "yellow", "down": "red", "absent": "dim"}
    for r in rows:
        table.add_row(r.name, f"[{colours[r.state]}]{r.state}[/]", r.url, str(r.pid or ""),
                      _mib(r.rss) if r.pid else "")
    table.add_row("total", "", "", "", _mib(total))
    console().print(table)


@lab.command()
def env() -> None:
    """Print `export` lines for a shell: `eval "$(dcctl lab env)"`.

    \b
    - OS_CLIENT_CONFIG_FILE (the lab's clouds.yaml) and OS_CLOUD=dcctl-lab
    - what services publish, e.g. the BMC credentials the inventory refers to
    """
    from dcctl.lab import orchestrate

    for line in orchestrate.env(_lab()):
        click.echo(line)


@lab.command()
def install() -> None:
    """Install the lab's dependencies; skipped when already done.

    \b
    - creates the lab virtualenv and pip-installs dcctl/lab/files/requirements.txt
    - apt-get installs the Debian packages the services need (openssh-server, prometheus)
    """
    from dcctl.lab import install as lab_install
    from dcctl.lab.orchestrate import available_services

    lab_ = _lab()
    services, _ = available_services()
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    venv = lab_install.ensure_venv(lab_.paths, say)
    packages = lab_install.ensure_packages(lab_.paths, [p for s in services.values() for p in s.apt_packages], say)
    if not venv and not packages:
        click.echo(f"lab dependencies already installed (venv {lab_.paths.venv})")


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"
