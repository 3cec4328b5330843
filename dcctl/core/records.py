"""Where dcctl keeps what it did: one audit record per applied action or run.

Callers use ``record()`` and ``read()``; the storage (hash-chained SQLite or
PostgreSQL, chosen by ``--state-url`` / ``DCCTL_STATE_URL``) lives in
``dcctl.audit.log``.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_STORES: dict[str, Any] = {}
_LOCK = threading.Lock()


def state_dir() -> Path:
    """dcctl's own state (audit log, locks, run artifacts): $DCCTL_STATE_DIR or $XDG_STATE_HOME/dcctl."""
    if os.environ.get("DCCTL_STATE_DIR"):
        return Path(os.environ["DCCTL_STATE_DIR"])
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / "dcctl"


def store():
    """The audit store for the current state URL (one per process and URL)."""
    from dcctl.audit.log import open_store, state_url

    url = state_url()
    with _LOCK:
        if url not in _STORES:
            _STORES[url] = open_store(url)
        return _STORES[url]


def record(kind: str, target: str, action: str, result: str, *, details: dict[str, Any] | None = None,
           error: str = "", identity: str = "", before: Any = None, after: Any = None) -> dict[str, Any]:
    """Append one audit record: who (OS user, cloud identity), when, what, target, before / after, result."""
    from dcctl.audit.lock import holder_info
    from dcctl.audit.log import AuditRecord

    entry = AuditRecord(kind=kind, target=target, action=action, result=result, identity=identity,
                        os_user=holder_info("")["user"], command=_command_line(), error=error,
                        before=before, after=after if after is not None else (details or None))
    return store().append(entry).as_dict()


def read(kind: str | None = None, target: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    from dcctl.audit.log import Filters

    for rec in store().records(Filters(kind=kind, target=target, since=since)):
        yield rec.as_dict()


def _command_line() -> str:
    argv = sys.argv[:]
    if argv and argv[0].endswith(("dcctl", "__main__.py")):
        argv[0] = "dcctl"
    return shlex.join(argv)
