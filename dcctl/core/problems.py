"""Problems found in user input: what is wrong, where (file:line:col), how to fix it.

Every loader and validator returns problems as values instead of raising, so a
command can report all of them at once before it touches any service.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; line and column are 1-based (0 = unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    location: Location
    message: str
    hint: str = ""
    code: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def error(location: Location, message: str, hint: str = "", code: str = "") -> Problem:
    return Problem(Severity.ERROR, location, message, hint, code)


def warning(location: Location, message: str, hint: str = "", code: str = "") -> Problem:
    return Problem(Severity.WARNING, location, message, hint, code)


def errors_in(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Order problems the way an editor would walk the files."""
    return sorted(
        problems,
        key=lambda p: (p.location.file, p.location.line, p.location.column, p.message),
    )


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
