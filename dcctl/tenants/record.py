"""The record every apply leaves: one JSON line per action outcome, in the user's state dir.

``$DCCTL_STATE_DIR`` (default ``$XDG_STATE_HOME/dcctl`` or ``~/.local/state/dcctl``)
``/applies/tenants-<UTC time>-<pid>.jsonl``. The governance work replaces this
recorder with the audit log: ``apply_tenant_plan(..., recorder=...)`` is the one hook.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import time
import uuid
from pathlib import Path

from dcctl.core.executor import ActionResult


def state_dir() -> Path:
    if os.environ.get("DCCTL_STATE_DIR"):
        return Path(os.environ["DCCTL_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dcctl"


class ApplyRecord:
    """A ``Recorder`` that appends each outcome to a JSON-lines file as it happens."""

    def __init__(self, command: str, cloud: str | None, directory: Path | None = None) -> None:
        directory = directory or state_dir() / "applies"
        directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.path = directory / f"tenants-{stamp}-{os.getpid()}.jsonl"
        self.run = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._base = {"run": self.run, "command": command, "cloud": cloud, "user": _user()}
        self.audit_errors: list[str] = []

    def record(self, result: ActionResult) -> None:
        line = {**self._base, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "action": result.action.as_dict(), "outcome": result.outcome.value,
                "id": result.value if isinstance(result.value, str) else None,
                "error": result.error, "seconds": round(result.seconds, 3), "attempts": result.attempts}
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._audit(result)

    def _audit(self, result: ActionResult) -> None:
        """The same outcome in the hash-chained audit log (never fatal to the apply)."""
        from dcctl.core.records import record

        a = result.action
        try:
            record("tenant", a.scope or a.label, f"{a.op.value} {a.kind} {a.label}", result.outcome.value,
                   before={c.field: c.old for c in a.changes} or None,
                   after={c.field: c.new for c in a.changes} or None,
                   error=result.error, identity=self._base["cloud"] or "")
        except Exception as exc:  # noqa: BLE001 - the JSON-lines file still has it
            self.audit_errors.append(f"{a.key}: {exc}")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return str(os.getuid())
