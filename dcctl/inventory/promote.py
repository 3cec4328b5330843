"""Write a device's new build-out status back into its YAML file, keeping comments and layout.

A round-trip YAML library (ruamel.yaml) edits the one mapping and leaves every
other byte of the file as the engineer wrote it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dcctl.core.errors import InputError
from dcctl.inventory.model import Device, LifecycleStatus
from dcctl.inventory.rack_inventory import RackInventory


def check_promotion(device: Device, to: LifecycleStatus, when: dt.date) -> None:
    """Statuses only move forward, on or after the date of the current one."""
    current = device.status
    if current is not None and to.rank <= current.rank:
        raise InputError(f"'{device.name}' is already {current.value}; {to.value} is not a step forward",
                         "statuses go planned -> delivered -> installed -> cabled -> provisioned -> "
                         "in-service -> decommissioning")
    if device.status_since and when < device.status_since:
        raise InputError(f"'{device.name}' became {current.value} on {device.status_since}, after {when}",
                         "give --date on or after the current status' date")


def promote(inv: RackInventory, names: list[str], to: LifecycleStatus, when: dt.date) -> list[Path]:
    """Add ``to: when`` to each device's ``lifecycle`` in its source file; returns the files changed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    for name in names:
        check_promotion(inv.devices[name], to, when)
    by_file: dict[str, list[tuple[str, tuple]]] = {}
    for name in names:
        origin = inv.origin("devices", name)
        by_file.setdefault(origin.doc.file, []).append((name, origin.path))
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the inventory's style: "  - name: ..."
    changed = []
    for file, entries in by_file.items():
        path = Path(file)
        data = yaml.load(path.read_text(encoding="utf-8"))
        for name, (section, index) in entries:
            item = data[section][index]
            if item.get("name") != name:
                raise InputError(f"{file} changed since it was read ('{name}' moved)", "run the command again")
            lifecycle = item.get("lifecycle")
            if lifecycle is None:
                lifecycle = CommentedMap()
                lifecycle.fa.set_flow_style()
                item["lifecycle"] = lifecycle
            lifecycle[to.value] = dt.date.fromordinal(when.toordinal())  # own object: no YAML anchor
        with open(path, "w", encoding="utf-8") as out:
            yaml.dump(data, out)
        changed.append(path)
    return changed
