"""Where dcctl keeps what it did: one JSON-lines record per applied action or run.

A stand-in with the audit log's shape until the governance issue replaces the
storage (hash chain, SQLite/PostgreSQL, lock): callers only use ``record()`` and
``read()``, so that swap touches this module alone.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


def state_dir() -> Path:
    """dcctl's own state (records, run artifacts): $DCCTL_STATE_DIR or $XDG_STATE_HOME/dcctl."""
    if os.environ.get("DCCTL_STATE_DIR"):
        return Path(os.environ["DCCTL_STATE_DIR"])
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / "dcctl"


def records_file() -> Path:
    return state_dir() / "records.jsonl"


def record(kind: str, target: str, action: str, result: str, *, details: dict[str, Any] | None = None,
           error: str = "", identity: str = "") -> dict[str, Any]:
    """Append one record: who (OS user, cloud identity), when, what, on which target, outcome."""
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "user": _os_user(),
        "identity": identity,
        "kind": kind,  # "tenant", "rack", "playbook"
        "target": target,  # tenant slug, rack name, playbook name
        "action": action,
        "result": result,
        "error": error,
        "details": details or {},
    }
    path = records_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, default=str)
    with _LOCK, open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
    return entry


def read(kind: str | None = None, target: str | None = None) -> Iterator[dict[str, Any]]:
    path = records_file()
    if not path.exists():
        return
    with open(path, encoding="utf-8") as src:
        for line in src:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if (kind is None or entry.get("kind") == kind) and (target is None or entry.get("target") == target):
                yield entry


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid())
