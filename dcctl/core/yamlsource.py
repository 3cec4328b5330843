"""YAML loading that remembers where every key and value came from.

PyYAML's composer (libyaml when available) gives nodes with marks; we build the
plain Python data and, beside it, a map from each value's path to its position,
so any later error (schema, overlap, duplicate) can name ``file:line:col``.
Duplicate keys, which PyYAML silently collapses, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dcctl.core.problems import Location, Problem, display_path, error

try:  # libyaml is ~10x faster at scanning; the pure-Python loader is the fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[Any, ...]

_CONSTRUCTORS = yaml.SafeLoader.yaml_constructors


@dataclass
class SourceDoc:
    """One YAML document with the position of each value and mapping key."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path_, *, key: bool = False) -> Location:
        """Location of the value at ``path`` (or its key), falling back to the nearest parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while True:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if key and probe in self.positions:
                line, col = self.positions[probe]
                return Location(self.file, line, col)
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe[:-1]


def load_yaml(path: Path) -> tuple[SourceDoc | None, list[Problem]]:
    """Parse one file; on failure return no document and the problems that explain why."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()[: exc.start]
        line = raw.count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n") + 1) + 1
        return None, [error(Location(shown, line, col), f"file is not UTF-8 text ({exc.reason})",
                            "save the file as UTF-8", code="yaml-encoding")]
    except OSError as exc:
        return None, [error(Location(shown), f"cannot read file: {exc.strerror}", code="io")]
    return parse_yaml(text, shown)


def parse_yaml(text: str, file: str) -> tuple[SourceDoc | None, list[Problem]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "invalid YAML"
        hint = "fix the YAML syntax (check indentation, colons and quotes)"
        if "but found another document" in str(exc):
            what = "the file holds more than one YAML document"
            hint = "keep one document per file (remove the extra '---')"
        elif exc.context and exc.context_mark and exc.context_mark is not mark:
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"
        source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        if "\t" in source_line[: max(col, 1)]:
            hint = "YAML does not allow tabs for indentation: use spaces"
        return None, [error(Location(file, line, col), f"YAML syntax error: {what}", hint,
                            code="yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, [error(Location(file), f"YAML error: {exc}", code="yaml-syntax")]
    finally:
        loader.dispose()
    if node is None:
        return None, [error(Location(file, 1, 1), "file is empty",
                            "add content or delete the file", code="empty-file")]
    doc = SourceDoc(file=file, data=None)
    problems: list[Problem] = []
    try:
        doc.data = _build(node, (), doc, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, [error(Location(file, line, col), f"YAML error: {exc.problem}",
                            "fix the value's syntax", code="yaml-syntax")]
    return doc, problems


def _build(node: yaml.Node, path: Path_, doc: SourceDoc, problems: list[Problem]) -> Any:
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        construct = _CONSTRUCTORS.get(node.tag)
        if construct is None:
            return node.value
        return construct(_SCALAR_LOADER, node)
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), doc, problems) for i, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        _SCALAR_LOADER.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(error(_mark(doc.file, key_node), "a mapping key must be a plain value",
                                      "use a simple word as the key", code="yaml-key"))
                continue
            key = _build(key_node, path + ("<key>",), doc, problems)
            doc.positions.pop(path + ("<key>",), None)
            if key in result:
                first = doc.key_positions[path + (key,)]
                problems.append(error(
                    _mark(doc.file, key_node), f"duplicate key '{key}'",
                    f"it is already set at line {first[0]}; keep one of them", code="yaml-duplicate-key"))
                continue
            doc.key_positions[path + (key,)] = (key_node.start_mark.line + 1,
                                                key_node.start_mark.column + 1)
            result[key] = _build(value_node, path + (key,), doc, problems)
        return result
    return None  # pragma: no cover - the three node kinds above are all PyYAML has


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


# SafeConstructor's scalar functions need a loader instance only for helpers
# such as construct_scalar/flatten_mapping; one shared, input-less instance serves.
_SCALAR_LOADER = yaml.SafeLoader("")
