"""Inventory metrics: racks, devices per role, rack units and power, read from the YAML."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def collect_inventory(inventory_dir: Path) -> list:
    from prometheus_client.core import GaugeMetricFamily

    from dcctl.core.problems import Severity
    from dcctl.inventory import load_inventory

    inv, problems = load_inventory(inventory_dir)
    racks = GaugeMetricFamily("dcctl_inventory_racks", "Racks in the inventory.", labels=["site"])
    devices = GaugeMetricFamily("dcctl_inventory_devices", "Devices in the inventory.", labels=["site", "role"])
    units_used = GaugeMetricFamily("dcctl_rack_occupied_units", "Rack units occupied by devices.",
                                   labels=["site", "hall", "rack"])
    units_total = GaugeMetricFamily("dcctl_rack_height_units", "Rack height in rack units.",
                                    labels=["site", "hall", "rack"])
    power = GaugeMetricFamily("dcctl_rack_power_allocated_watts", "Planned power draw of a rack's devices.",
                              labels=["site", "hall", "rack"])
    budget = GaugeMetricFamily("dcctl_rack_power_budget_watts", "Power budget of a rack.",
                               labels=["site", "hall", "rack"])
    by_status = GaugeMetricFamily("dcctl_buildout_devices", "Devices per build-out status.",
                                  labels=["site", "hall", "status"])
    problem_count = GaugeMetricFamily("dcctl_inventory_problems", "Validation problems in the inventory.",
                                      labels=["severity"])
    per_site = Counter(r.site for r in inv.racks.values())
    for site in sorted(inv.sites):
        racks.add_metric([site], per_site.get(site, 0))
    roles = Counter()
    for device in inv.devices.values():
        rack = inv.racks.get(device.rack)
        roles[(rack.site if rack else "", device.role.value)] += 1
    for (site, role), n in sorted(roles.items()):
        devices.add_metric([site, role], n)
    for name, rack in sorted(inv.racks.items()):
        usage = inv.usage(name)
        labels = [rack.site, rack.hall, name]
        units_used.add_metric(labels, usage.units_used)
        units_total.add_metric(labels, usage.units_total)
        power.add_metric(labels, usage.power_allocated_w)
        budget.add_metric(labels, usage.power_budget_w)
    statuses = Counter()
    for device in inv.devices.values():
        rack = inv.racks.get(device.rack)
        if rack is not None:
            statuses[(rack.site, rack.hall, device.status.value if device.status else "untracked")] += 1
    for labels, n in sorted(statuses.items()):
        by_status.add_metric(list(labels), n)
    for severity in Severity:
        problem_count.add_metric([severity.value], sum(p.severity is severity for p in problems))
    return [racks, devices, units_used, units_total, power, budget, by_status, problem_count]
