"""The sample inventory describes the national data centre as the mission needs it."""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path

import pytest

from dcctl.inventory import load_inventory
from dcctl.inventory.model import DeviceRole

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    inv, problems = load_inventory(ROOT / "inventory")
    return inv, problems


def test_sample_inventory_has_no_problems(sample):
    _, problems = sample
    assert problems == []


def test_main_site_in_baghdad_has_two_halls_and_four_racks(sample):
    inv, _ = sample
    baghdad = [s for s in inv.sites.values() if s.governorate == "Baghdad"]
    assert len(baghdad) == 1 and baghdad[0].sovereign
    site = baghdad[0].name
    assert len([h for (s, h) in inv.halls if s == site]) >= 2
    assert len(inv.racks_at(site)) >= 4


def test_edge_sites_in_at_least_two_governorates_have_a_rack_each(sample):
    inv, _ = sample
    edge = [s for s in inv.sites.values() if s.governorate != "Baghdad"]
    assert len({s.governorate for s in edge}) >= 2
    assert all(inv.racks_at(s.name) for s in edge)


def test_realistic_roles_are_present(sample):
    inv, _ = sample
    roles = Counter(d.role for d in inv.devices.values())
    for role in (DeviceRole.CONTROLLER, DeviceRole.COMPUTE, DeviceRole.STORAGE, DeviceRole.SWITCH, DeviceRole.PDU):
        assert roles[role] >= 1


def test_bmcs_and_ssh_endpoints_are_loopback_so_the_lab_can_serve_them(sample):
    inv, _ = sample
    for server in inv.servers():
        assert ipaddress.ip_address(server.bmc.host).is_loopback
        assert ipaddress.ip_address(server.ssh.host).is_loopback
        assert server.bmc.credentials.startswith("env:")


def test_every_sample_device_tracks_its_build_out_and_every_server_is_cabled_or_later(sample):
    from dcctl.inventory.model import LifecycleStatus

    inv, _ = sample
    assert all(d.lifecycle for d in inv.devices.values())
    assert all(s.reached(LifecycleStatus.CABLED) for s in inv.servers())
    assert {d.status for d in inv.devices.values()} >= {LifecycleStatus.IN_SERVICE, LifecycleStatus.CABLED}
