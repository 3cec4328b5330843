"""Build-out statuses: the latest reached is the status; dates in the future are flagged."""

import datetime as dt

from dcctl.inventory.model import Device, LifecycleStatus
from dcctl.inventory.rack_inventory import RackInventory
from dcctl.core.yamlsource import parse_yaml
from dcctl.inventory.validate import _lifecycle


def device(lifecycle):
    return Device.model_validate({"name": "d", "rack": "r", "role": "switch", "position": 1, "model": "m",
                                  "serial": "s", "management_ip": "10.0.0.1", "lifecycle": lifecycle})


def test_status_is_the_latest_reached_whatever_the_order_written():
    d = device({"cabled": "2026-03-01", "planned": "2026-01-01", "installed": "2026-02-01"})
    assert d.status is LifecycleStatus.CABLED and d.status_since == dt.date(2026, 3, 1)
    assert d.reached(LifecycleStatus.INSTALLED) and not d.reached(LifecycleStatus.PROVISIONED)


def test_an_untracked_device_counts_as_in_service():
    d = device({})
    assert d.status is None and d.reached(LifecycleStatus.IN_SERVICE)


def test_a_status_dated_in_the_future_is_a_warning():
    text = "devices:\n  - {name: d, lifecycle: {planned: 2030-01-01}}\n"
    doc, _ = parse_yaml(text, "f.yaml")
    inv = RackInventory()
    inv.add("devices", device({"planned": "2030-01-01"}), doc, ("devices", 0))
    problems = _lifecycle(inv, today=dt.date(2026, 11, 25))
    assert [str(p) for p in problems] == [
        "f.yaml:2:36: warning: 'd' entered planned on 2030-01-01, in the future (record a status when it happens)"]
