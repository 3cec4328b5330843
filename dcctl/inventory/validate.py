"""Checks that span items: references, rack space, power, uniqueness, addressing.

Pure: takes a loaded ``RackInventory`` and returns problems; the schema of each
item was already checked by the loader.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from dcctl.core.problems import Problem, error, warning
from dcctl.inventory.model import Device, LifecycleStatus, NetworkRole
from dcctl.inventory.rack_inventory import RackInventory

POWER_WARNING_RATIO = 0.8


def validate_inventory(inv: RackInventory) -> list[Problem]:
    problems: list[Problem] = []
    problems += _references(inv)
    problems += _networks(inv)
    by_rack: dict[str, list[Device]] = defaultdict(list)
    for device in inv.devices.values():
        by_rack[device.rack].append(device)
    problems += _rack_space(inv, by_rack)
    problems += _rack_power(inv, by_rack)
    problems += _unique(inv, "serial", lambda d: [d.serial])
    problems += _unique(inv, "MAC address", lambda d: [(n.mac, ("nics", i, "mac")) for i, n in enumerate(d.nics)])
    problems += _unique(inv, "BMC address", lambda d: [(d.bmc.address.lower(), ("bmc", "address"))] if d.bmc else [])
    problems += _unique(inv, "management IP",
                        lambda d: [(d.management_ip, ("management_ip",))] if d.management_ip else [])
    problems += _addressing(inv)
    problems += _lifecycle(inv)
    return problems


def _references(inv: RackInventory) -> list[Problem]:
    """Each reference must resolve; references to items that failed their schema are skipped
    (that item already has an error and a second one would only confuse)."""
    problems = []
    for (site, name), hall in inv.halls.items():
        if site not in inv.sites and site not in inv.invalid["sites"]:
            problems.append(_dangling(inv, "halls", (site, name), "site", site, inv.sites))
    for name, rack in inv.racks.items():
        if rack.site in inv.invalid["sites"] or rack.hall in inv.invalid["halls"]:
            continue
        if rack.site not in inv.sites:
            problems.append(_dangling(inv, "racks", name, "site", rack.site, inv.sites))
        elif (rack.site, rack.hall) not in inv.halls:
            elsewhere = sorted(s for (s, h) in inv.halls if h == rack.hall)
            if elsewhere:
                problems.append(error(inv.origin("racks", name).at("hall"),
                                      f"hall '{rack.hall}' is at site '{elsewhere[0]}', not at the rack's "
                                      f"site '{rack.site}'", "fix the rack's site or hall",
                                      code="dangling-reference"))
                continue
            halls = [h for (s, h) in inv.halls if s == rack.site]
            problems.append(_dangling(inv, "racks", name, "hall", rack.hall, halls,
                                      scope=f" at site '{rack.site}'"))
    for (site, name) in inv.networks:
        if site not in inv.sites and site not in inv.invalid["sites"]:
            problems.append(_dangling(inv, "networks", (site, name), "site", site, inv.sites))
    for name, device in inv.devices.items():
        if device.rack not in inv.racks and device.rack not in inv.invalid["racks"]:
            problems.append(_dangling(inv, "devices", name, "rack", device.rack, inv.racks))
    return problems


def _dangling(inv: RackInventory, section: str, key: Any, field: str, value: str,
              known: Iterable[str], scope: str = "") -> Problem:
    import difflib

    known = sorted(known)
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else (
        f"declare {field} '{value}' or use one of: {', '.join(known[:8])}" if known
        else f"declare the {field} in a '{field}s:' section")
    return error(inv.origin(section, key).at(field), f"unknown {field} '{value}'{scope}", hint,
                 code="dangling-reference")


def _networks(inv: RackInventory) -> list[Problem]:
    problems = []
    by_vlan: dict[tuple[str, int], str] = {}
    per_site: dict[str, list] = defaultdict(list)
    for key, net in inv.networks.items():
        origin = inv.origin("networks", key)
        first = by_vlan.setdefault((net.site, net.vlan), net.name)
        if first != net.name:
            problems.append(error(origin.at("vlan"), f"VLAN {net.vlan} is already used by network "
                                  f"'{first}' at site '{net.site}'",
                                  f"pick a free VLAN id (declared at {inv.origin('networks', (net.site, first)).at('vlan')})",
                                  code="duplicate-vlan"))
        for other in per_site[net.site]:
            if net.prefix.version == other.prefix.version and net.prefix.overlaps(other.prefix):
                problems.append(warning(origin.at("prefix"), f"prefix {net.prefix} overlaps network "
                                        f"'{other.name}' ({other.prefix}) at the same site",
                                        "check the addressing plan", code="overlapping-prefix"))
        per_site[net.site].append(net)
        if net.gateway is not None and net.gateway not in net.prefix:
            problems.append(error(origin.at("gateway"), f"gateway {net.gateway} is outside {net.prefix}",
                                  "use an address inside the prefix", code="gateway-outside"))
    return problems


def _rack_space(inv: RackInventory, by_rack: dict[str, list[Device]]) -> list[Problem]:
    problems = []
    for rack_name, devices in by_rack.items():
        rack = inv.racks.get(rack_name)
        if rack is None:
            continue
        occupied: dict[int, str] = {}
        for device in sorted(devices, key=lambda d: (d.position or 0, d.name)):
            origin = inv.origin("devices", device.name)
            if device.height_u > 0 and device.position is None:
                problems.append(error(origin.at("name"), f"device '{device.name}' takes {device.height_u}U "
                                      "but has no position", "add 'position: N' (its lowest rack unit) "
                                      "or 'height_u: 0' for zero-U equipment", code="no-position"))
                continue
            top = (device.position or 0) + device.height_u - 1
            if device.height_u and top > rack.height_u:
                problems.append(error(origin.at("position"), f"device '{device.name}' occupies U{device.position}"
                                      f"-U{top} but rack '{rack.name}' has {rack.height_u}U",
                                      f"use a position from 1 to {rack.height_u - device.height_u + 1}",
                                      code="outside-rack"))
                continue
            clashes = sorted({occupied[u] for u in device.units if u in occupied})
            if clashes:
                units = [u for u in device.units if u in occupied]
                other = clashes[0]
                problems.append(error(origin.at("position"), f"device '{device.name}' overlaps '{other}' "
                                      f"in rack '{rack.name}' at U{units[0]}" + (f"-U{units[-1]}" if len(units) > 1 else ""),
                                      f"move one of them to free units ('{other}' is declared at "
                                      f"{inv.origin('devices', other).at('position')})", code="overlap"))
                continue
            for u in device.units:
                occupied[u] = device.name
    return problems


def _rack_power(inv: RackInventory, by_rack: dict[str, list[Device]]) -> list[Problem]:
    problems = []
    for name, rack in inv.racks.items():
        total = sum(d.power_w for d in by_rack.get(name, ()))
        ratio = total / rack.power_budget_w
        origin = inv.origin("racks", name)
        if total > rack.power_budget_w:
            problems.append(error(origin.at("power_budget_w"), f"rack '{name}' draws {total} W, over its "
                                  f"budget of {rack.power_budget_w} W ({ratio:.0%})",
                                  "move devices to another rack or raise the budget with the facilities team",
                                  code="power-over-budget"))
        elif ratio >= POWER_WARNING_RATIO:
            problems.append(warning(origin.at("power_budget_w"), f"rack '{name}' draws {total} W, "
                                    f"{ratio:.0%} of its {rack.power_budget_w} W budget",
                                    "plan new devices elsewhere", code="power-near-budget"))
    return problems


def _unique(inv: RackInventory, what: str, values: Callable[[Device], list]) -> list[Problem]:
    problems = []
    seen: dict[Any, tuple[str, tuple]] = {}
    field = {"serial": ("serial",)}.get(what)
    for device in inv.devices.values():
        for entry in values(device):
            value, path = (entry, field) if field else entry
            if value in seen:
                other, other_path = seen[value]
                problems.append(error(inv.origin("devices", device.name).at(*path),
                                      f"{what} {value} of '{device.name}' is already used by '{other}'",
                                      f"each {what} must be unique (see {inv.origin('devices', other).at(*other_path)})",
                                      code="duplicate-value"))
            else:
                seen[value] = (device.name, path)
    return problems


def _addressing(inv: RackInventory) -> list[Problem]:
    problems = []
    prefixes: dict[str, list] = defaultdict(list)
    for net in inv.networks.values():
        prefixes[net.site].append(net)
    for device in inv.devices.values():
        rack = inv.racks.get(device.rack)
        if rack is None or rack.site not in inv.sites:
            continue
        origin = inv.origin("devices", device.name)
        nets = prefixes[rack.site]
        if device.management_ip is not None and not any(device.management_ip in n.prefix for n in nets):
            declared = ", ".join(f"{n.name} {n.prefix}" for n in nets) or "none"
            problems.append(error(origin.at("management_ip"), f"management IP {device.management_ip} of "
                                  f"'{device.name}' is outside every network of site '{rack.site}'",
                                  f"use an address in the site's prefixes (declared: {declared})",
                                  code="ip-outside-site"))
        if device.bmc is not None:
            try:
                bmc_ip = ipaddress.ip_address(device.bmc.host)
            except ValueError:
                bmc_ip = None  # a DNS name: nothing to check here
            bmc_nets = [n for n in nets if n.role is NetworkRole.BMC]
            if bmc_ip is not None and bmc_nets and not any(bmc_ip in n.prefix for n in bmc_nets):
                problems.append(warning(origin.at("bmc", "address"), f"BMC address {bmc_ip} of '{device.name}' "
                                        f"is outside the site's BMC network(s) "
                                        f"({', '.join(str(n.prefix) for n in bmc_nets)})",
                                        "check the BMC addressing", code="bmc-outside-network"))
        elif device.is_server:
            problems.append(warning(origin.at("name"), f"server '{device.name}' has no bmc",
                                    "add 'bmc: {address, system_id, credentials}' so it can be enrolled",
                                    code="server-without-bmc"))
    return problems


def _lifecycle(inv: RackInventory, today=None) -> list[Problem]:
    """Build-out statuses come in order, not from the future, and each needs what it implies."""
    import datetime as dt

    today = today or dt.date.today()
    problems = []
    for device in inv.devices.values():
        if not device.lifecycle:
            continue
        origin = inv.origin("devices", device.name)
        previous: tuple[LifecycleStatus, dt.date] | None = None
        for status in sorted(device.lifecycle, key=lambda s: s.rank):
            when = device.lifecycle[status]
            if previous and when < previous[1]:
                problems.append(error(origin.at("lifecycle", status.value),
                                      f"'{device.name}' entered {status.value} on {when}, before it was "
                                      f"{previous[0].value} ({previous[1]})",
                                      "statuses follow planned -> delivered -> installed -> cabled -> "
                                      "provisioned -> in-service: fix the dates", code="lifecycle-order"))
            if when > today:
                problems.append(warning(origin.at("lifecycle", status.value),
                                        f"'{device.name}' entered {status.value} on {when}, in the future",
                                        "record a status when it happens", code="lifecycle-future"))
            previous = (status, when)
        status = device.status
        where = origin.at("lifecycle", status.value)
        if status is LifecycleStatus.IN_SERVICE and device.management_ip is None:
            problems.append(error(where, f"'{device.name}' is in-service without a management IP",
                                  "add management_ip, or keep the device at an earlier status",
                                  code="lifecycle-incomplete"))
        if device.is_server and status in (LifecycleStatus.PROVISIONED, LifecycleStatus.IN_SERVICE):
            missing = [k for k in ("bmc", "ssh") if getattr(device, k) is None]
            if missing:
                problems.append(error(where, f"server '{device.name}' is {status.value} without "
                                      f"{' and '.join(missing)}",
                                      "a provisioned server needs its BMC and SSH endpoint in the inventory",
                                      code="lifecycle-incomplete"))
    return problems
