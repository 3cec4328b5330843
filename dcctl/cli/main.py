"""Root command group. Sub-command modules are imported only when used, so that
``dcctl --help`` stays instant; heavy libraries are imported inside commands."""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path

import click

from dcctl.cli.settings import Settings
from dcctl.core.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, DcctlError

# command name -> "module:attribute" of its click command or group
COMMANDS: dict[str, str] = {
    "audit": "dcctl.cli.audit:audit",
    "buildout": "dcctl.cli.buildout:buildout",
    "exporter": "dcctl.cli.exporter:exporter",
    "inventory": "dcctl.cli.inventory:inventory",
    "lab": "dcctl.cli.lab:lab",
    "people": "dcctl.cli.people:people",
    "playbook": "dcctl.cli.playbook:playbook",
    "rack": "dcctl.cli.rack:rack",
    "service": "dcctl.cli.service:service",
    "tenant": "dcctl.cli.tenant:tenant",
}


class LazyGroup(click.Group):
    """A group whose sub-commands live in modules imported on first use."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | {n for n in self.lazy if self._present(n)})

    def _present(self, name: str) -> bool:
        """Rooms land one by one; a command whose module is not in this tree is not listed."""
        from importlib.util import find_spec

        return find_spec(self.lazy[name].split(":")[0]) is not None

    def invoke(self, ctx: click.Context):
        """dcctl's errors become a message and their exit code here, for every caller of the group."""
        try:
            return super().invoke(ctx)
        except DcctlError as exc:
            report_error(exc)
            raise click.exceptions.Exit(exc.exit_code) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and self._present(cmd_name):
            module_name, attr = self.lazy[cmd_name].split(":")
            return getattr(import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--inventory", "inventory_dir", type=click.Path(path_type=Path), default=None,
              envvar="DCCTL_INVENTORY", help="Rack inventory directory  [default: inventory/]")
@click.option("--os-cloud", envvar="OS_CLOUD", default=None,
              help="Cloud name in clouds.yaml  [default: $OS_CLOUD]")
@click.option("--state-url", envvar="DCCTL_STATE_URL", default=None, metavar="URL",
              help="Audit log and lock storage: sqlite:///PATH or postgresql://...  "
                   "[default: SQLite in $XDG_STATE_HOME/dcctl]")
@click.option("--json", "json_output", is_flag=True, help="Print machine-readable JSON.")
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug logs).")
@click.version_option(package_name="dcctl")
@click.pass_context
def cli(ctx: click.Context, inventory_dir: Path | None, os_cloud: str | None, state_url: str | None,
        json_output: bool, verbose: int) -> None:
    """dcctl: run the national data centre and its government cloud.

    Validate the rack inventory, enroll and provision bare-metal servers, give
    every ministry its OpenStack tenant, apply playbooks and export metrics.
    """
    s = ctx.ensure_object(Settings)
    if inventory_dir is not None:
        s.inventory_dir = inventory_dir
    if os_cloud:
        s.os_cloud = os_cloud
    if state_url:
        import os

        os.environ["DCCTL_STATE_URL"] = state_url  # read wherever dcctl records or locks
    s.json = s.json or json_output
    s.verbose = verbose
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def report_error(exc: DcctlError) -> None:
    click.echo(f"error: {exc}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps dcctl's errors to the documented exit codes."""
    try:
        rv = cli.main(args=argv, prog_name="dcctl", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DcctlError as exc:
        report_error(exc)
        sys.exit(exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def ansible_inventory_script() -> None:
    """``dcctl-ansible-inventory``: an executable Ansible can call as ``-i`` (``--list`` / ``--host H``).

    The inventory directory comes from ``DCCTL_INVENTORY`` (default ``inventory/``).
    """
    main(["inventory", "ansible", *sys.argv[1:]])
