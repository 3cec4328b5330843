"""YAML loading that remembers where every key and value came from.

PyYAML's composer (libyaml when available) gives nodes with marks; we build the
plain Python data and, beside it, a map from each value's path to its position,
so any later error (schema, overlap, duplicate) can name ``file:line:col``.
Duplicate keys, which PyYAML silently collapses, are reported as problems.

Speed: large inventories (10,000 devices) are read through rapidyaml (C++),
which emits JSON that the C json module turns into data, about 8x faster than
PyYAML. Positions are then computed only when a problem needs one. The fast path
is taken only for text where both parsers agree (no anchors, tags, merge keys,
duplicate keys or YAML 1.1 special scalars such as yes/no, 0x1f, 1_000); any
other file goes through PyYAML. Timestamps stay text on both paths; the schema
parses the fields that are dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json
import re

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
    text: str | None = None  # set while positions are still to be computed (fast path)

    def at(self, path: Path_, *, key: bool = False) -> Location:
        """Location of the value at ``path`` (or its key), falling back to the nearest parent."""
        if self.text is not None:
            self._compute_positions()
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
    data = _fast_load(text)
    if data is not None:
        return SourceDoc(file=file, data=data, text=text), []
    return parse_with_positions(text, file)


def parse_with_positions(text: str, file: str) -> tuple[SourceDoc | None, list[Problem]]:
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
        if node.tag == _TIMESTAMP:
            return node.value
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


_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# Text the fast path must not take: YAML features rapidyaml's JSON would render
# differently from PyYAML (anchors, aliases, tags, merge keys, null as ~) ...
_RISKY_CHARS = re.compile(r"[&*!~]|<<")
# ... and plain scalars YAML 1.1 reads as booleans, null or numbers of other bases.
_RISKY_SCALAR = re.compile(
    r"[:\-\[,{][ \t]+"
    r"((?i:yes|no|on|off|true|false|null|\.inf|-\.inf|\.nan)|0[xXoO]?[0-9a-fA-F_]+|[-+]?\d[\d_]*(?:\.\d*)?[eE:_][-+\d:._]*)"
    r"[ \t]*(?=$|[,\]}#])", re.M)
_AGREED = frozenset({"true", "false", "null", "0"})


def _fast_load(text: str) -> Any:
    """Data through rapidyaml when it is sure to match PyYAML; None to take the slow path."""
    try:
        import ryml
    except ImportError:  # pragma: no cover - rapidyaml is a dependency; PyYAML still works
        return None
    if _RISKY_CHARS.search(text):
        return None
    if any(m.group(1) not in _AGREED for m in _RISKY_SCALAR.finditer(text)):
        return None
    try:
        with _quiet_stderr():  # rapidyaml prints its parse errors; the slow path reports them properly
            tree = ryml.parse_in_arena(text.encode())
        if tree.size() < 2 or tree.is_stream(tree.root_id()):
            return None  # empty file or several documents: let PyYAML report them
        data = json.loads(ryml.emit_json_malloc(tree, tree.root_id()), object_pairs_hook=_no_duplicates)
    except Exception:  # any doubt (syntax error, duplicate key, odd JSON): the slow path explains
        return None
    return data if isinstance(data, (dict, list)) else None


_STDERR_LOCK = __import__("threading").Lock()


class _quiet_stderr:
    """Silence file descriptor 2 (C-level writes) for the duration of the block."""

    def __enter__(self) -> None:
        import os

        _STDERR_LOCK.acquire()
        self._saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc) -> None:
        import os

        os.dup2(self._saved, 2)
        os.close(self._saved)
        _STDERR_LOCK.release()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _positions_only(doc: SourceDoc) -> None:
    text, doc.text = doc.text, None
    reparsed, _ = parse_with_positions(text or "", doc.file)
    if reparsed is not None:
        doc.positions, doc.key_positions = reparsed.positions, reparsed.key_positions


SourceDoc._compute_positions = _positions_only  # type: ignore[attr-defined]

# SafeConstructor's scalar functions need a loader instance only for helpers
# such as construct_scalar/flatten_mapping; one shared, input-less instance serves.
_SCALAR_LOADER = yaml.SafeLoader("")
