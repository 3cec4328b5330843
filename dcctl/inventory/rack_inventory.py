"""The loaded inventory: every item by name, with where in the YAML it was declared."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dcctl.core.problems import Location, Problem, error
from dcctl.core.yamlsource import SourceDoc
from dcctl.inventory.model import Device, Hall, Network, Rack, Site, Strict


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an item was declared, to locate errors about it or any of its fields."""

    doc: SourceDoc
    path: tuple

    def at(self, *field_path: Any, key: bool = False) -> Location:
        return self.doc.at(self.path + field_path, key=key)


@dataclass(frozen=True, slots=True)
class RackUsage:
    rack: str
    units_total: int
    units_used: int
    power_allocated_w: int
    power_budget_w: int

    @property
    def units_free(self) -> int:
        return self.units_total - self.units_used

    @property
    def power_ratio(self) -> float:
        return self.power_allocated_w / self.power_budget_w if self.power_budget_w else 0.0


@dataclass
class RackInventory:
    sites: dict[str, Site] = field(default_factory=dict)
    halls: dict[tuple[str, str], Hall] = field(default_factory=dict)  # (site, hall)
    racks: dict[str, Rack] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    networks: dict[tuple[str, str], Network] = field(default_factory=dict)  # (site, network)
    origins: dict[tuple[str, Any], Origin] = field(default_factory=dict)
    # names of items that failed their schema check: references to them are not "unknown"
    invalid: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, section: str, item: Strict, doc: SourceDoc, path: tuple) -> list[Problem]:
        """Add one validated item; a second item with the same name is a problem, not an override."""
        table, key = self._slot(section, item)
        origin = Origin(doc, path)
        if key in table:
            first = self.origins[(section, key)].at("name")
            return [error(origin.at("name"), f"duplicate {section[:-1]} name '{item.name}'",  # type: ignore[attr-defined]
                          f"already declared at {first}; names must be unique", code="duplicate-name")]
        table[key] = item
        self.origins[(section, key)] = origin
        return []

    def _slot(self, section: str, item: Any) -> tuple[dict, Any]:
        if section == "halls":
            return self.halls, (item.site, item.name)
        if section == "networks":
            return self.networks, (item.site, item.name)
        return getattr(self, section), item.name

    def origin(self, section: str, key: Any) -> Origin:
        return self.origins[(section, key)]

    # -- queries -------------------------------------------------------------
    def devices_in(self, rack: str) -> list[Device]:
        return [d for d in self.devices.values() if d.rack == rack]

    def racks_at(self, site: str) -> list[Rack]:
        return [r for r in self.racks.values() if r.site == site]

    def site_of(self, device: Device) -> Site | None:
        rack = self.racks.get(device.rack)
        return self.sites.get(rack.site) if rack else None

    def networks_at(self, site: str) -> list[Network]:
        return [n for (s, _), n in self.networks.items() if s == site]

    def servers(self) -> list[Device]:
        """Devices managed through a BMC and SSH: controllers, computes, storage."""
        return [d for d in self.devices.values() if d.is_server]

    def usage(self, rack: str) -> RackUsage:
        r = self.racks[rack]
        devices = self.devices_in(rack)
        used = sum(len(d.units) for d in devices)
        power = sum(d.power_w for d in devices)
        return RackUsage(rack, r.height_u, used, power, r.power_budget_w)
