"""Read ``tenants/*.yaml``: one request per file, schema-checked, every mistake located.

Files whose name starts with ``_`` are not requests: ``_policy.yaml`` holds the
data centre's rules (external network, links cleared for secret tenants).
Loading never raises on bad input; it returns the valid requests and a problem
per mistake, in words the ministry staff who fill the files can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dcctl.core.problems import Location, Problem, display_path, error, warning
from dcctl.core.yamlsource import SourceDoc, parse_with_positions, load_yaml
from dcctl.core.schema_problems import data_path, did_you_mean, hint_for, kind_of
from dcctl.inventory.model import Strict
from dcctl.tenants.model import Policy, TenantSpec
from dcctl.tenants.tenant_set import TenantSet

POLICY_FILE = "_policy.yaml"


def tenant_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_tenant_files(directory: Path, extra_files: tuple[Path, ...] = ()) -> tuple[TenantSet, list[Problem]]:
    """Every request below ``directory`` plus the policy file, schema-checked (not cross-checked).

    ``extra_files``: requests from elsewhere (a ministry's request not approved yet) loaded
    after the directory's, so a clash with an approved tenant is reported on the newcomer.
    """
    directory = Path(directory)
    tenants = TenantSet()
    shown = display_path(directory)
    if not directory.is_dir():
        return tenants, [error(Location(shown), "tenants directory does not exist",
                               "pass --tenants DIR or create tenants/", code="no-tenants")]
    problems: list[Problem] = []
    for path in [*tenant_files(directory), *map(Path, extra_files)]:
        doc, parse_problems = _read_yaml(path)
        problems.extend(parse_problems)
        if doc is None:
            continue
        if path.name.startswith("_"):
            if path.name == POLICY_FILE:
                problems.extend(_load_policy(doc, tenants))
            continue
        problems.extend(_load_request(doc, path, tenants))
    return tenants, problems


def _read_yaml(path: Path) -> tuple[SourceDoc | None, list[Problem]]:
    """Tenant files are small: parse them with positions straight away (PyYAML). The
    rapidyaml fast path would also print its own parse errors to stderr."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return load_yaml(path)  # it explains encoding and read errors
    return parse_with_positions(text, display_path(path))


def _load_policy(doc: SourceDoc, tenants: TenantSet) -> list[Problem]:
    model, problems = _validate(doc, Policy)
    if model is not None:
        tenants.policy, tenants.policy_doc = model, doc
    return problems


def _load_request(doc: SourceDoc, path: Path, tenants: TenantSet) -> list[Problem]:
    model, problems = _validate(doc, TenantSpec)
    if model is None:
        slug = doc.data.get("slug") if isinstance(doc.data, dict) else None
        if isinstance(slug, str):
            tenants.invalid.add(slug)
        return problems
    if model.slug in tenants.tenants:
        first = tenants.at(model.slug, "slug")
        return problems + [error(doc.at(("slug",)), f"tenant '{model.slug}' is requested twice",
                                 f"the first request is at {first}; keep one file per entity",
                                 code="duplicate-slug")]
    tenants.tenants[model.slug] = model
    tenants.docs[model.slug] = doc
    if path.stem != model.slug:
        problems.append(warning(doc.at(("slug",)), f"file name '{path.name}' does not match slug '{model.slug}'",
                                f"rename the file to {model.slug}.yaml so it is easy to find",
                                code="file-name"))
    return problems


def _validate(doc: SourceDoc, model: type[Strict]) -> tuple[Any, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [error(doc.at(()), f"the file must be a mapping of keys, not {kind_of(doc.data)}",
                            "start with 'slug: ...' and the other keys shown in tenants/README.md",
                            code="bad-file")]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, problems_from_errors(doc, model, exc.errors(include_url=False))


def problems_from_errors(doc: SourceDoc, model: type[Strict], errors: list[dict]) -> list[Problem]:
    """pydantic's errors as located problems, one per place (a union reports once, not per member)."""
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for err in errors:
        path, leaf_model = data_path(doc.data, err, model)
        if path in seen:
            continue
        seen.add(path)
        problems.append(_problem(doc, path, err, leaf_model))
    return problems


def _problem(doc: SourceDoc, path: tuple, err: dict, model: type | None) -> Problem:
    kind = err["type"]
    name = path[-1] if path else ""
    where = f"'{name}'" if isinstance(name, str) and name else f"item {name + 1}" if isinstance(name, int) else "value"
    if kind == "extra_forbidden":
        allowed = list(model.model_fields) if isinstance(model, type) and issubclass(model, Strict) else []
        return error(doc.at(path, key=True), f"unknown key '{name}'", did_you_mean(str(name), allowed),
                     code="unknown-key")
    if kind == "missing":
        return error(doc.at(path[:-1]), f"missing required key '{name}'",
                     f"add '{name}: ...' here (see tenants/README.md)", code="missing-key")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return error(doc.at(path), f"{where}: expected a mapping of keys, got {kind_of(err.get('input'))}",
                     "write 'key: value' pairs here", code="bad-type")
    message = err["msg"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        message = "not a valid name"
    elif kind in ("too_short",) and isinstance(value, list):
        message = "the list is empty"
    elif kind in ("enum", "literal_error"):
        message = f"must be one of {ctx.get('expected', '')}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        message = f"must be at {'least' if kind == 'greater_than_equal' else 'most'} {bound}"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        message = "must be a whole number"
    elif kind in ("bool_parsing", "bool_type"):
        message = "must be true or false"
    shown = "" if isinstance(value, (dict, list)) else f" (got {value!r})"
    return error(doc.at(path), f"{where}: {message}{shown}", _tenant_hint(kind, err, message),
                 code=kind)


def _tenant_hint(kind: str, err: dict, message: str) -> str:
    if kind in ("enum", "literal_error"):
        choices = [c.strip(" '") for c in str((err.get("ctx") or {}).get("expected", "")).replace(" or ", ", ").split(",")]
        close = did_you_mean(str(err.get("input")), [c for c in choices if c])
        return close if close.startswith("did you mean") else "use one of the listed values"
    if kind == "string_pattern_mismatch":
        return "use lower-case letters, digits and '-', starting with a letter (e.g. health-basra)"
    if kind == "too_short":
        return "add at least one entry"
    if kind == "value_error":
        if "Arabic" in message:
            return "write the entity's name in Arabic script, e.g. وزارة الصحة"
        if "e-mail" in message:
            return "write an address such as cloud@moh.gov.iq"
        if "network" in message or "host bits" in message:
            return "write a network in CIDR form, e.g. 10.20.0.0/24"
        if "ports" in message:
            return "remove 'ports' or use protocol tcp/udp; ranges are written 8000-8080"
        if "link" in message:
            return "name the owning tenant and its shared network, e.g. secretariat/gov-docs"
        if "endpoint" in message:
            return "write https://HOST[:PORT]/PATH, http://HOST[:PORT]/PATH or tcp://HOST:PORT"
        return "correct the value as described"
    return hint_for(kind, err, message) or "see tenants/README.md for the allowed values"
