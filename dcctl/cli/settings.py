"""Options every command shares, set once on the root group (or repeated after a command)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click


@dataclass
class Settings:
    inventory_dir: Path = field(default_factory=lambda: Path("inventory"))
    os_cloud: str | None = field(default_factory=lambda: os.environ.get("OS_CLOUD"))
    json: bool = False
    verbose: int = 0


def settings() -> Settings:
    """The settings of the running command (created on first use)."""
    ctx = click.get_current_context()
    return ctx.ensure_object(Settings)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Settings).json = True


json_option = click.option(
    "--json", "json_flag", is_flag=True, expose_value=False, callback=_set_json,
    is_eager=False, help="Print machine-readable JSON instead of tables.",
)
"""``--json`` accepted after a command too (``dcctl CMD --json``), same effect as before it."""
