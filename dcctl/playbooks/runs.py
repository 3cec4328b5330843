"""Past and present runs: ids, their directory under ``state_dir()/playbook-runs``, the summary
``dcctl playbook show`` and the exporter read, and the audit record of each run."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dcctl.core.errors import InputError
from dcctl.playbooks.recap import RunRecap

SUMMARY = "summary.json"


def runs_dir() -> Path:
    from dcctl.core.records import state_dir

    return state_dir() / "playbook-runs"


def new_run_id(playbook: str, now: float | None = None) -> str:
    """Sortable by start time and readable: ``20261125T213000-site-3fa2``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now if now is not None else time.time()))
    return f"{stamp}-{playbook}-{secrets.token_hex(2)}"


@dataclass
class RunSummary:
    run_id: str
    playbook: str
    limit: str | None
    user: str
    start: str  # ISO 8601 with the local offset
    duration: float = 0.0
    check: bool = False
    diff: bool = False
    tags: list[str] = field(default_factory=list)
    forks: int | None = None
    hosts: list[str] = field(default_factory=list)  # the hosts the run was limited to (all: empty)
    rc: int | None = None
    runner_status: str = ""
    artifacts: str = ""
    error: str = ""
    recap: RunRecap = field(default_factory=RunRecap)

    @property
    def status(self) -> str:
        """failed: a host failed or was unreachable, or Ansible stopped; else changed or ok."""
        if self.error or self.recap.bad_hosts or self.rc not in (0, None):
            return "failed"
        return "changed" if self.recap.changed_hosts else "ok"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recap"] = self.recap.as_dict()
        return data | {"status": self.status, "failed_hosts": self.recap.bad_hosts,
                       "changed_hosts": self.recap.changed_hosts}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "recap"}
        return cls(**known, recap=RunRecap.from_dict(data.get("recap") or {}))


def save(summary: RunSummary) -> Path:
    """Write the run's summary.json atomically (the exporter may read it at any time)."""
    path = runs_dir() / summary.run_id / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False, default=str))
    os.replace(tmp, path)
    return path


def run_ids() -> list[str]:
    """Ids of recorded runs, oldest first."""
    root = runs_dir()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{SUMMARY}"))


def load(run_id: str) -> RunSummary:
    """A past run by id, or ``last`` for the newest."""
    ids = run_ids()
    if run_id == "last" and ids:
        run_id = ids[-1]
    path = runs_dir() / run_id / SUMMARY
    if "/" in run_id or not path.is_file():
        recent = ", ".join(reversed(ids[-5:])) or "none yet"
        raise InputError(f"no playbook run '{run_id}' in {runs_dir()}", f"recent runs: {recent}")
    return RunSummary.from_dict(json.loads(path.read_text()))


def recent(count: int = 20) -> list[RunSummary]:
    return [load(i) for i in reversed(run_ids()[-count:])]


def latest_by_playbook() -> dict[str, RunSummary]:
    """The newest non-check run of each playbook: what the exporter publishes (last run time,
    status, failed hosts, duration)."""
    latest: dict[str, RunSummary] = {}
    for run_id in reversed(run_ids()):
        try:
            summary = load(run_id)
        except (InputError, ValueError, TypeError):
            continue  # a run still being written, or from an older dcctl
        if not summary.check and summary.playbook not in latest:
            latest[summary.playbook] = summary
    return latest


def record_run(summary: RunSummary) -> dict[str, Any]:
    """The run in the audit log, beside tenants' and racks' actions."""
    from dcctl.core.records import record

    recap = summary.recap
    details = {
        "run_id": summary.run_id, "limit": summary.limit, "start": summary.start,
        "duration_s": round(summary.duration, 2), "check": summary.check, "tags": summary.tags,
        "status": summary.status, "artifacts": summary.artifacts,
        "hosts": {h: {"status": r.status, "ok": r.ok, "changed": r.changed, "failed": r.failed,
                      "unreachable": r.unreachable, **({"reason": r.reason} if r.reason else {})}
                  for h, r in sorted(recap.hosts.items())},
    }
    failed = recap.bad_hosts
    error = summary.error or (f"{len(failed)} host(s) failed or unreachable: {', '.join(failed)}" if failed else "")
    return record("playbook", summary.playbook, "check" if summary.check else "run",
                  "failed" if summary.status == "failed" else "done", details=details, error=error)


def user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid())
