"""A plan: the ordered actions that would bring live state to the desired state.

A first-class value, like Terraform's: pure to compute, printable for people
(``+`` create, ``~`` update with old -> new, ``-`` delete) and as JSON for machines.
Rooms (tenants, racks) build plans; ``dcctl.core.executor`` applies them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Op(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-"}[self.value]


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Action:
    """One write to a service. ``key`` is unique in a plan; ``depends_on`` names other keys."""

    op: Op
    kind: str  # e.g. "project", "network", "compute-quota", "node"
    key: str  # stable id, e.g. "tenant:health/network:health-apps"
    label: str  # what a person reads, e.g. "network health-apps (project health)"
    scope: str = ""  # tenant slug or rack name: for filters and the audit trail
    changes: tuple[Change, ...] = ()
    depends_on: tuple[str, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op.value, "kind": self.kind, "key": self.key, "label": self.label,
            "scope": self.scope, "depends_on": list(self.depends_on),
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
        }


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "orphan: node x is not in the inventory"

    @property
    def is_empty(self) -> bool:
        return not self.actions

    def counts(self) -> dict[str, int]:
        c = Counter(a.op.value for a in self.actions)
        return {op.value: c.get(op.value, 0) for op in Op}

    def summary(self) -> str:
        c = self.counts()
        if self.is_empty:
            return "No changes. The cloud matches the desired state."
        return f"Plan: {c['create']} to create, {c['update']} to change, {c['delete']} to delete."

    def as_dict(self) -> dict[str, Any]:
        return {"actions": [a.as_dict() for a in self.actions], "counts": self.counts(),
                "notes": list(self.notes), "summary": self.summary()}

    def render(self, colour: bool = False) -> str:
        """The plan as text: one block per action, then the summary line."""
        paint = _painter(colour)
        lines: list[str] = []
        for action in self.actions:
            sym = action.op.symbol
            style = {"+": "green", "~": "yellow", "-": "red"}[sym]
            lines.append(paint(f"{sym} {action.kind} {action.label}", style))
            for ch in action.changes:
                if action.op is Op.UPDATE:
                    lines.append(f"    {ch.field}: {_show(ch.old)} -> {_show(ch.new)}")
                elif action.op is Op.CREATE:
                    lines.append(f"    {ch.field}: {_show(ch.new)}")
        for note in self.notes:
            lines.append(paint(f"! {note}", "cyan"))
        lines.append(paint(self.summary(), "bold"))
        return "\n".join(lines)


def diff_fields(current: dict[str, Any], desired: dict[str, Any]) -> tuple[Change, ...]:
    """Fields whose desired value differs from the current one (fields not desired are left alone)."""
    return tuple(Change(k, current.get(k), v) for k, v in desired.items() if current.get(k) != v)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "(none)"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_show(v) for v in sorted(value, key=str)) + "]"
    return str(value)


_ANSI = {"green": "32", "yellow": "33", "red": "31", "cyan": "36", "bold": "1"}


def _painter(colour: bool):
    if not colour:
        return lambda text, _style: text
    return lambda text, style: f"\x1b[{_ANSI[style]}m{text}\x1b[0m"
