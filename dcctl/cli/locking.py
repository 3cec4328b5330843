"""The apply lock as commands use it: ``--lock-timeout`` and one context manager per room."""

from __future__ import annotations

import shlex
import sys

import click

lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(0), default=60, show_default=True,
    help="Seconds to wait while another engineer's apply holds the lock.")


def holding_lock(room: str, timeout: float):
    """Hold the ``room`` lock (tenants, racks) for an apply; waits up to ``timeout`` seconds."""
    from dcctl.audit.lock import apply_lock

    command = shlex.join(["dcctl", *sys.argv[1:]])
    return apply_lock(room, timeout=timeout, command=command)
