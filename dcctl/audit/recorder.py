"""The executor's ``Recorder`` for applies (tenants, staff, rack enroll): the audit log, nothing else.

Each action's outcome is appended to the hash-chained audit log the moment it is known, so a
crash or Ctrl-C leaves a log of exactly what was done. A record that cannot be written never
stops the rest of the apply (the cloud has already changed); it is collected in ``errors`` for
the command to report and to fail on.
"""

from __future__ import annotations

import threading

from dcctl.core.executor import ActionResult


class AuditRecorder:
    """Writes ``kind`` records (target: the action's scope, its tenant or rack) as the cloud identity ``identity``."""

    def __init__(self, kind: str, identity: str | None) -> None:
        self.kind = kind
        self.identity = identity or ""
        self.written = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def record(self, result: ActionResult) -> None:
        from dcctl.core.records import record

        a = result.action
        try:
            record(self.kind, a.scope or a.label, f"{a.op.value} {a.kind} {a.label}", result.outcome.value,
                   before={c.field: c.old for c in a.changes} or None,
                   after={c.field: c.new for c in a.changes} or None,
                   error=result.error, identity=self.identity)
        except Exception as exc:  # noqa: BLE001 - reported by the command, never fatal to the apply
            with self._lock:
                self.errors.append(f"{a.key}: {exc}")
            return
        with self._lock:
            self.written += 1
