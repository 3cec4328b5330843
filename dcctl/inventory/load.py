"""Load an inventory directory: every YAML file, schema-checked item by item.

Loading never raises on bad input: it returns whatever items were valid plus a
problem for each mistake, located at ``file:line:col`` with a fix to try.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dcctl.core.problems import Location, Problem, display_path, error
from dcctl.core.schema_problems import data_path, did_you_mean, hint_for, kind_of, secret_like
from dcctl.core.yamlsource import SourceDoc, load_yaml
from dcctl.inventory.model import SECTIONS, Strict
from dcctl.inventory.rack_inventory import RackInventory

_ADAPTERS = {section: TypeAdapter(list[model]) for section, model in SECTIONS.items()}


def inventory_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_inventory(directory: Path) -> tuple[RackInventory, list[Problem]]:
    """Read every ``*.yaml``/``*.yml`` below ``directory`` into one inventory."""
    directory = Path(directory)
    inventory = RackInventory()
    shown = display_path(directory)
    if not directory.exists():
        return inventory, [error(Location(shown), "inventory directory does not exist",
                                 "pass --inventory DIR or create inventory/", code="no-inventory")]
    if not directory.is_dir():
        return inventory, [error(Location(shown), "inventory path is not a directory",
                                 "pass the directory that holds the YAML files", code="no-inventory")]
    files = inventory_files(directory)
    if not files:
        return inventory, [error(Location(shown), "inventory directory holds no YAML files",
                                 "add *.yaml files describing sites, racks and devices",
                                 code="no-inventory")]
    problems: list[Problem] = []
    for path in files:
        doc, parse_problems = load_yaml(path)
        problems.extend(parse_problems)
        if doc is not None:
            problems.extend(_load_doc(doc, inventory))
    return inventory, problems


def _load_doc(doc: SourceDoc, inventory: RackInventory) -> list[Problem]:
    if not isinstance(doc.data, dict):
        return [error(doc.at(()), f"the file must be a mapping of sections, not {kind_of(doc.data)}",
                      f"start with one of: {', '.join(SECTIONS)}", code="bad-file")]
    problems: list[Problem] = []
    for section, items in doc.data.items():
        if section not in SECTIONS:
            problems.append(error(doc.at((section,), key=True), f"unknown section '{section}'",
                                  did_you_mean(section, SECTIONS), code="unknown-section"))
            continue
        if items is None:
            continue  # an empty section is harmless
        if not isinstance(items, list):
            problems.append(error(doc.at((section,)), f"'{section}' must be a list, not {kind_of(items)}",
                                  f"write each item as '- name: ...' under '{section}:'", code="bad-type"))
            continue
        valid, item_problems, invalid_names = _validate_items(doc, section, items)
        problems.extend(item_problems)
        inventory.invalid[section] |= invalid_names
        for index, model in valid:
            problems.extend(inventory.add(section, model, doc, (section, index)))
    return problems


def _validate_items(doc: SourceDoc, section: str, items: list[Any]) -> tuple[list[tuple[int, Strict]], list[Problem], set[str]]:
    """Validate a whole section at once (fast path), falling back to item by item on errors."""
    try:
        return list(enumerate(_ADAPTERS[section].validate_python(items))), [], set()
    except ValidationError as exc:
        failed = exc.errors(include_url=False)
    model = SECTIONS[section]
    problems = _problems_from(doc, section, items, model, failed)
    bad = {e["loc"][0] for e in failed if e["loc"] and isinstance(e["loc"][0], int)}
    valid = [(i, model.model_validate(item)) for i, item in enumerate(items) if i not in bad]
    invalid_names = {items[i].get("name") for i in bad if isinstance(items[i], dict)}
    return valid, problems, {n for n in invalid_names if isinstance(n, str)}


def _problems_from(doc: SourceDoc, section: str, items: list[Any], model: type[Strict],
                   errors: list[dict]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for err in errors:
        path, leaf_model = data_path(items, err, model)
        full = (section, *path)
        if full in seen:  # a union (e.g. IPv4 | IPv6) reports once per member: keep the first
            continue
        seen.add(full)
        problems.append(_problem(doc, full, err, leaf_model))
    return problems


def _problem(doc: SourceDoc, path: tuple, err: dict, model: type | None) -> Problem:
    kind = err["type"]
    name = path[-1] if path else ""
    if "[key]" in err["loc"]:  # a mapping key of the wrong kind, e.g. an unknown lifecycle status
        return error(doc.at(path, key=True), f"'{name}' is not a valid key here: {err['msg']}",
                     hint_for(kind, err, err["msg"]), code=kind)
    if kind == "extra_forbidden":
        allowed = list(model.model_fields) if isinstance(model, type) and issubclass(model, Strict) else []
        hint = did_you_mean(str(name), allowed)
        if secret_like(str(name)):
            hint = ("secrets never go in the inventory: point 'credentials' at a reference "
                    "such as env:DCCTL_BMC_BAGHDAD; " + hint)
        return error(doc.at(path, key=True), f"unknown key '{name}'", hint, code="unknown-key")
    if kind == "missing":
        return error(doc.at(path[:-1]), f"missing required key '{name}'",
                     f"add '{name}: ...' to this item", code="missing-key")
    if kind in ("model_type", "dict_type"):
        return error(doc.at(path), f"expected a mapping of keys, got {kind_of(err.get('input'))}",
                     "write 'key: value' pairs here", code="bad-type")
    value = err.get("input")
    shown = "value hidden" if any(secret_like(str(p)) for p in path) else f"got {value!r}"
    where = f"'{name}'" if isinstance(name, str) and name else "item"
    message = err["msg"]
    if kind.startswith("ip_") or "ip" in kind and "address" in message.lower():
        message = "not a valid IP address"
    elif kind == "string_pattern_mismatch" and "a-z0-9" in err.get("ctx", {}).get("pattern", ""):
        message = "not a valid name"
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    hint = hint_for(kind, err, message)
    return error(doc.at(path), f"{where}: {message} ({shown})", hint, code=kind)
