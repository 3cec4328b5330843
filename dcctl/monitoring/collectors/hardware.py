"""Hardware metrics over Redfish: every server's BMC read concurrently by the rack health sweep.

Thresholds exported are the ones dcctl judges by (the BMC's own, else dcctl's
defaults), so alert rules compare a reading with the same limit `rack health` uses.
"""

from __future__ import annotations

import os
from pathlib import Path

HEALTH_VALUE = {"OK": 0, "Warning": 1, "Critical": 2}


def collect_hardware(inventory_dir: Path, concurrency: int = 32) -> list:
    from prometheus_client.core import GaugeMetricFamily

    from dcctl.inventory import load_inventory
    from dcctl.racks.health import CA_ENV, DEFAULT_OTHER_TEMPERATURE, DEFAULT_TEMPERATURE_LIMITS, BmcTarget, sweep

    inv, _ = load_inventory(inventory_dir)
    servers = [d for d in inv.servers() if d.bmc is not None and d.rack in inv.racks]
    site_of = {d.name: inv.racks[d.rack].site for d in servers}
    targets = [BmcTarget(d.name, d.rack, d.bmc.address, d.bmc.system_id, d.bmc.credentials, d.power_w or None)
               for d in servers]
    results = sweep(targets, ca=os.environ.get(CA_ENV) or None, concurrency=concurrency)

    base = ["site", "rack", "device"]
    up = GaugeMetricFamily("dcctl_bmc_up", "1 when the BMC answered the Redfish sweep.", labels=base)
    scrape = GaugeMetricFamily("dcctl_bmc_read_seconds", "Time reading the BMC took.", labels=base)
    power_on = GaugeMetricFamily("dcctl_hardware_power_on", "1 when the system is powered on.", labels=base)
    health = GaugeMetricFamily("dcctl_hardware_health", "System health rollup: 0 OK, 1 Warning, 2 Critical.",
                               labels=base)
    temp = GaugeMetricFamily("dcctl_hardware_temperature_celsius", "Temperature reading.", labels=base + ["sensor"])
    warn = GaugeMetricFamily("dcctl_hardware_temperature_upper_warning_celsius",
                             "Upper warning threshold of the sensor (the BMC's, else dcctl's default).",
                             labels=base + ["sensor"])
    crit = GaugeMetricFamily("dcctl_hardware_temperature_upper_critical_celsius",
                             "Upper critical threshold of the sensor (the BMC's, else dcctl's default).",
                             labels=base + ["sensor"])
    fans = GaugeMetricFamily("dcctl_hardware_fan_speed_rpm", "Fan speed.", labels=base + ["fan"])
    psu = GaugeMetricFamily("dcctl_hardware_psu_healthy", "1 when the power supply is enabled and healthy.",
                            labels=base + ["psu"])
    watts = GaugeMetricFamily("dcctl_hardware_power_consumed_watts", "Power the system draws now.", labels=base)
    for h in results:
        labels = [site_of.get(h.device, ""), h.rack, h.device]
        up.add_metric(labels, 0 if h.error else 1)
        scrape.add_metric(labels, h.seconds)
        if h.error:
            continue
        power_on.add_metric(labels, 1 if (h.power_state or "").lower() == "on" else 0)
        if h.health in HEALTH_VALUE:
            health.add_metric(labels, HEALTH_VALUE[h.health])
        for t in h.temperatures:
            if t.celsius is None:
                continue
            default_warn, default_crit = DEFAULT_TEMPERATURE_LIMITS.get(t.context, DEFAULT_OTHER_TEMPERATURE)
            temp.add_metric(labels + [t.name], t.celsius)
            warn.add_metric(labels + [t.name], t.upper_warning if t.upper_warning is not None else default_warn)
            crit.add_metric(labels + [t.name], t.upper_critical if t.upper_critical is not None else default_crit)
        for f in h.fans:
            if f.rpm is not None:
                fans.add_metric(labels + [f.name], f.rpm)
        for p in h.psus:
            healthy = (p.health in (None, "OK")) and (p.state in (None, "Enabled"))
            psu.add_metric(labels + [p.name], 1 if healthy else 0)
        if h.consumed_watts is not None:
            watts.add_metric(labels, h.consumed_watts)
    return [up, scrape, power_on, health, temp, warn, crit, fans, psu, watts]
