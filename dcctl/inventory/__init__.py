"""The rack inventory: sites, halls, racks, devices and networks described in YAML."""

from __future__ import annotations

from pathlib import Path

from dcctl.core.problems import Problem, sort_problems
from dcctl.inventory.rack_inventory import RackInventory


def load_inventory(directory: Path) -> tuple[RackInventory, list[Problem]]:
    """Load and validate a directory; returns the inventory and every problem found, sorted."""
    from dcctl.inventory.load import load_inventory as _load
    from dcctl.inventory.validate import validate_inventory

    inventory, problems = _load(Path(directory))
    problems = problems + validate_inventory(inventory)
    return inventory, sort_problems(problems)


__all__ = ["RackInventory", "load_inventory"]
