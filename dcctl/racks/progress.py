"""Per-node progress of a long rack operation: a live display on a terminal, lines elsewhere.

Called from one thread only (the loop that polls Ironic), so no locking is needed.
"""

from __future__ import annotations

import sys
import time


class NodeProgress:
    """Shows nothing; the base of the displays below."""

    def start(self, names: list[str], total: int) -> None:
        pass

    def update(self, name: str, state: str, note: str = "", completed: int | None = None) -> None:
        pass

    def finish(self, name: str, ok: bool, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress(NodeProgress):
    """One line per change, for logs and pipes: ``[  12.3s] bgw-cmp01  verifying -> manageable``."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last: dict[str, tuple[str, str]] = {}
        self.width = 10

    def start(self, names: list[str], total: int) -> None:
        self.width = max([len(n) for n in names] + [10])

    def _say(self, name: str, text: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {name:{self.width}}  {text}", file=self.stream,
              flush=True)

    def update(self, name: str, state: str, note: str = "", completed: int | None = None) -> None:
        if self.last.get(name) != (state, note):
            self.last[name] = (state, note)
            self._say(name, state + (f"  ({note})" if note else ""))

    def finish(self, name: str, ok: bool, text: str) -> None:
        self._say(name, ("ok" if ok else "FAILED") + (f": {text}" if text else ""))


class RichProgress(NodeProgress):
    """A live table on the terminal: one bar per node with its state and elapsed time."""

    def __init__(self, console) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.fields[name]}"), BarColumn(bar_width=12),
                                 TextColumn("{task.fields[state]}"), TextColumn("[dim]{task.fields[note]}"),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, int] = {}

    def start(self, names: list[str], total: int) -> None:
        width = max([len(n) for n in names] + [4])
        self.progress.start()
        for name in names:
            self.tasks[name] = self.progress.add_task(name, total=total, name=name.ljust(width),
                                                      state="", note="")

    def update(self, name: str, state: str, note: str = "", completed: int | None = None) -> None:
        fields = {"state": _esc(state), "note": _esc(note)}
        if completed is not None:
            fields["completed"] = completed
        self.progress.update(self.tasks[name], **fields)

    def finish(self, name: str, ok: bool, text: str) -> None:
        task = self.tasks[name]
        colour = "green" if ok else "red"
        word = "ok" if ok else "FAILED"
        self.progress.update(task, state=f"[{colour}]{word}[/{colour}] {_esc(text)}", note="")
        if ok:
            self.progress.update(task, completed=self.progress.tasks[task].total)
        self.progress.stop_task(task)

    def close(self) -> None:
        self.progress.stop()


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)

