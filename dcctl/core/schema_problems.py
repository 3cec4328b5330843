"""From a pydantic error to a problem a person can act on: where in the YAML, what, how to fix.

Shared by every loader of user YAML (inventory, tenant requests): pydantic's ``loc``
also names union members and validator wrappers; ``data_path`` walks the data
instead, so the location is the value (or key) the user wrote.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel


def data_path(items: list[Any], err: dict, model: type[BaseModel]) -> tuple[tuple, type | None]:
    """Turn pydantic's loc (which also names union members) into a path through the data."""
    path: list[Any] = []
    current: Any = items
    current_model: type | None = model
    loc = list(err["loc"])
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and part in current:
            if last and err["type"] == "extra_forbidden":
                path.append(part)  # the unknown key itself: keep its parent's model for hints
                break
            if isinstance(current_model, type) and issubclass(current_model, BaseModel):
                current_model = field_model(current_model, part)
            current = current[part]
            path.append(part)
        elif last and err["type"] in ("missing", "extra_forbidden"):
            path.append(part)
    return tuple(path), current_model


def field_model(model: type[BaseModel], field: str) -> type | None:
    info = model.model_fields.get(field)
    if info is None:
        return None
    annotation = info.annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in getattr(candidate, "__args__", ()):  # list[Model]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return model


def hint_for(kind: str, err: dict, message: str) -> str:
    if message == "not a valid IP address":
        return "write an IPv4 or IPv6 address such as 10.0.0.11"
    if kind == "value_error":
        if "MAC" in message:
            return "write six hex pairs separated by ':'"
        if "reference" in message:
            return ("keep the secret outside the repository: env:NAME reads NAME_USERNAME and "
                    "NAME_PASSWORD, file:ENTRY reads an entry of the credentials file")
        if "host bits" in message:
            return "use the first address of the network, e.g. 10.1.2.0/24"
        return "correct the value as described"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        if "a-z0-9" in pattern:
            return "names use lower-case letters, digits and '-', starting with a letter or digit"
        return f"the value must match {pattern}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "write a whole number without quotes or units"
    if kind in ("bool_parsing", "bool_type"):
        return "write true or false"
    if kind in ("string_type",):
        if isinstance(err.get("input"), int) and err["loc"] and err["loc"][-1] == "mac":
            return "quote MAC addresses: YAML reads an unquoted 52:54:00:00:00:01 as a number"
        return "write text (quote it if it looks like a number)"
    if kind in ("list_type",):
        return "write a list ('- item' lines or [a, b])"
    if kind in ("enum", "literal_error"):
        return "use one of the listed values"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return "use a value inside the allowed range"
    return ""


def secret_like(key: str) -> bool:
    return any(word in key.lower() for word in ("password", "secret", "token", "credential", "passwd"))


def did_you_mean(word: str, choices) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    allowed = f"allowed: {', '.join(choices)}" if choices else ""
    if close:
        return f"did you mean '{close[0]}'? {allowed}".strip()
    return allowed


def kind_of(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "text", int: "a number", float: "a number",
            bool: "true/false", type(None): "nothing"}.get(type(value), type(value).__name__)
