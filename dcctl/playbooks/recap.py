"""ansible-runner's events folded into what an engineer reads: per task, per host results,
then a recap per host with the reason a host failed or could not be reached. No I/O."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

# ansible-runner event -> outcome; runner_on_ok becomes "changed" when its result says so
_OUTCOMES = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
             "runner_on_skipped": "skipped"}
_TASK_STARTS = ("playbook_on_task_start", "playbook_on_handler_task_start")

# what ssh says -> what the engineer should read in the recap (first match wins)
_SSH_REASONS = (
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", "host key changed: does not match known_hosts"),
    ("Host key verification failed", "host key verification failed: key unknown or changed"),
    ("No ED25519 host key is known", "host key not in known_hosts"),
    ("Connection refused", "connection refused: nothing listening on the SSH port"),
    ("Connection timed out", "connection timed out"),
    ("Operation timed out", "connection timed out"),
    ("No route to host", "no route to host"),
    ("Could not resolve hostname", "host name does not resolve"),
    ("Permission denied", "SSH authentication refused: key not accepted"),
    ("Connection reset", "connection reset by the host"),
    ("Connection closed", "connection closed by the host"),
)


@dataclass(frozen=True)
class TaskOutcome:
    """One task's result on one host, as it happens."""

    host: str
    task: str
    status: str  # ok, changed, failed, unreachable, skipped, ignored
    message: str = ""
    diff: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass
class HostRecap:
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    reason: str = ""

    @property
    def status(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        return "changed" if self.changed else "ok"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"status": self.status}


@dataclass
class RunRecap:
    """Everything a finished (or broken) run tells: per host results and the failures."""

    hosts: dict[str, HostRecap] = field(default_factory=dict)
    failures: list[TaskOutcome] = field(default_factory=list)  # failed and unreachable, in order
    tasks: int = 0
    stats_seen: bool = False  # ansible-playbook reached its PLAY RECAP

    @property
    def bad_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.status in ("failed", "unreachable"))

    @property
    def changed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.changed)

    def add(self, event: dict[str, Any]) -> TaskOutcome | None:
        """Fold one ansible-runner event in; returns the task outcome it carries, if any."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind in _TASK_STARTS:
            self.tasks += 1
            return None
        if kind == "playbook_on_stats":
            self._stats(data)
            return None
        if kind not in _OUTCOMES or not data.get("host"):
            return None
        outcome = outcome_of(kind, data)
        recap = self.hosts.setdefault(outcome.host, HostRecap(outcome.host))
        if not self.stats_seen:  # live counts, until ansible's own PLAY RECAP replaces them
            recap.ok += outcome.status in ("ok", "changed", "ignored")
            recap.changed += outcome.status == "changed"
            recap.failed += outcome.status == "failed"
            recap.unreachable += outcome.status == "unreachable"
            recap.skipped += outcome.status == "skipped"
            recap.ignored += outcome.status == "ignored"
        if outcome.status in ("failed", "unreachable"):
            self.failures.append(outcome)
            recap = self.hosts[outcome.host]
            if not recap.reason:
                recap.reason = short_reason(outcome)
        return outcome

    def _stats(self, data: dict[str, Any]) -> None:
        self.stats_seen = True
        for recap in self.hosts.values():
            recap.ok = recap.changed = recap.failed = recap.unreachable = recap.skipped = 0
            recap.rescued = recap.ignored = 0
        columns = {"ok": "ok", "changed": "changed", "failures": "failed", "dark": "unreachable",
                   "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}
        for key, attr in columns.items():
            for host, count in (data.get(key) or {}).items():
                setattr(self.hosts.setdefault(host, HostRecap(host)), attr, int(count))

    def as_dict(self) -> dict[str, Any]:
        return {"hosts": {h: r.as_dict() for h, r in sorted(self.hosts.items())},
                "failures": [f.as_dict() for f in self.failures], "tasks": self.tasks,
                "complete": self.stats_seen}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecap:
        recap = cls(tasks=int(data.get("tasks", 0)), stats_seen=bool(data.get("complete")))
        for host, row in (data.get("hosts") or {}).items():
            recap.hosts[host] = HostRecap(**{k: v for k, v in row.items() if k != "status"})
        recap.failures = [TaskOutcome(**f) for f in data.get("failures") or []]
        return recap


def outcome_of(kind: str, data: dict[str, Any]) -> TaskOutcome:
    res = data.get("res") or {}
    status = _OUTCOMES[kind]
    if status == "ok" and res.get("changed"):
        status = "changed"
    if status == "failed" and data.get("ignore_errors"):
        status = "ignored"
    task = data.get("task", "")
    if data.get("role") and not task.startswith(f"{data['role']} : "):
        task = f"{data['role']} : {task}"
    message = failure_message(res) if status in ("failed", "unreachable", "ignored") else ""
    return TaskOutcome(host=data["host"], task=task, status=status, message=message,
                       diff=render_diff(res.get("diff")) if status == "changed" else "")


def failure_message(res: dict[str, Any]) -> str:
    """The useful text of a failed result: its msg, the failed loop items' msgs, stderr."""
    parts: list[str] = []
    if res.get("msg"):
        parts.append(str(res["msg"]).strip())
    for item in res.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            label = item.get("_ansible_item_label", item.get("item", ""))
            parts.append(f"item {label}: {str(item.get('msg') or item.get('stderr') or '').strip()}")
    stderr = str(res.get("stderr") or res.get("module_stderr") or "").strip()
    if stderr and stderr not in parts:
        parts.append(stderr)
    return "\n".join(p for p in parts if p) or "failed without a message"


def short_reason(outcome: TaskOutcome) -> str:
    """One line for the recap table: what ssh said in words, or the task and its first line."""
    if outcome.status == "unreachable":
        for needle, reason in _SSH_REASONS:
            if needle.lower() in outcome.message.lower():
                return reason
        return "unreachable: " + _first_line(outcome.message)
    return f"{outcome.task}: {_first_line(outcome.message)}"


def render_diff(diff: Any) -> str:
    """Ansible's ``diff`` result (before/after pairs, or prepared text) as a unified diff."""
    if not diff:
        return ""
    text: list[str] = []
    for part in diff if isinstance(diff, list) else [diff]:
        if not isinstance(part, dict):
            continue
        if part.get("prepared"):
            text.append(str(part["prepared"]).rstrip("\n"))
            continue
        before, after = part.get("before", ""), part.get("after", "")
        if not isinstance(before, str) or not isinstance(after, str):  # file state, not content
            before, after = _state_text(before), _state_text(after)
        lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     str(part.get("before_header", "before")),
                                     str(part.get("after_header", "after")))
        text.append("".join(lines).rstrip("\n"))
    return "\n".join(t for t in text if t)


def _state_text(value: Any) -> str:
    if isinstance(value, dict):
        return "".join(f"{k}: {v}\n" for k, v in sorted(value.items()))
    return f"{value}\n" if value not in (None, "") else ""


def _first_line(text: str, width: int = 160) -> str:
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""
