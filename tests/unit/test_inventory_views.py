"""What the inventory shows other tools and people: usage, Ansible groups, JSON, elevations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dcctl.inventory import load_inventory
from dcctl.inventory.elevation import rack_elevation_svg
from dcctl.inventory.export import ansible_inventory, ansible_yaml_inventory, inventory_json

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def inv():
    inventory, problems = load_inventory(ROOT / "inventory")
    assert not problems
    return inventory


def test_usage_counts_units_and_power_and_ignores_zero_u(inv):
    usage = inv.usage("bgw-b01")
    devices = inv.devices_in("bgw-b01")
    assert usage.units_used == sum(d.height_u for d in devices if d.position)
    assert usage.power_allocated_w == sum(d.power_w for d in devices)
    assert usage.units_free == 42 - usage.units_used


def test_ansible_groups_follow_site_hall_rack_and_role(inv):
    listing = ansible_inventory(inv)
    assert "site_bgw_dc1" in listing["all"]["children"]
    assert listing["site_bgw_dc1"]["children"] == ["hall_bgw_dc1_hall_a", "hall_bgw_dc1_hall_b"]
    assert "rack_bgw_a01" in listing["hall_bgw_dc1_hall_a"]["children"]
    assert sorted(listing["role_controller"]["hosts"]) == ["bgw-ctl01", "bgw-ctl02", "bgw-ctl03"]
    hv = listing["_meta"]["hostvars"]["bgw-ctl01"]
    assert hv["ansible_host"] == "127.0.10.11" and hv["ansible_port"] == 2222
    assert hv["bmc_address"].startswith("https://127.0.20.")
    assert hv["ntp_servers"]
    # switches and PDUs are not SSH-managed hosts
    assert "bgw-a01-tor1" not in listing["_meta"]["hostvars"]


def test_static_ansible_yaml_has_every_host_once_with_vars(inv):
    data = ansible_yaml_inventory(inv)
    seen = {}

    def walk(group):
        for host, hv in (group.get("hosts") or {}).items():
            if hv:
                seen[host] = seen.get(host, 0) + 1
        for child in (group.get("children") or {}).values():
            walk(child)

    walk(data["all"])
    assert set(seen) == {d.name for d in inv.servers()}
    assert set(seen.values()) == {1}


def test_json_export_round_trips_through_json(inv):
    data = json.loads(json.dumps(inventory_json(inv)))
    assert len(data["devices"]) == len(inv.devices)
    assert all("usage" in r for r in data["racks"])


@pytest.mark.parametrize("rack", ["bgw-a01", "bgw-b01", "bsr-r01"])
def test_elevation_is_well_formed_svg_holding_every_device(inv, rack):
    root = ET.fromstring(rack_elevation_svg(inv, rack))
    assert root.tag == f"{SVG}svg"
    drawn = {g.get("data-name") for g in root.iter(f"{SVG}g") if g.get("class") == "device"}
    assert drawn == {d.name for d in inv.devices_in(rack)}
    free = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "free-unit"]
    assert len(free) == inv.usage(rack).units_free
    numbers = {t.text for t in root.iter(f"{SVG}text")}
    assert {"1", "42"} <= numbers
