"""Ironic and the Redfish BMCs of the lab: a node's whole life over real Redfish, and health.

An Ironic node for a server of the inventory goes enroll -> manageable -> available -> active
through openstacksdk; every power action lands on the emulated BMC, checked from the BMC's
side with sushy (TLS verified against the lab CA). Thermal and power are read over Redfish,
and a reading changed through the lab-only API shows up there.
"""

from __future__ import annotations

import time

import openstack
import pytest
import requests
import sushy
import sushy.auth

from dcctl.lab.services.bmc import BmcEmulator, get_sensors, reset_sensors, set_sensors
from dcctl.lab.services.ironic import deploy_instance_info, node_fields

pytestmark = pytest.mark.lab

WAIT = 120  # seconds for a provision state or power change
MARK = "tests/integration/test_lab_baremetal.py"  # in the nodes' extra, to clean up after a crash


@pytest.fixture(scope="module")
def facts(lab) -> dict:
    facts = dict(lab.facts)
    if "bmc_systems" not in facts or "bmc_ca" not in facts:  # lab reused without a prepare
        facts.update(BmcEmulator().facts(lab))
        lab.facts.update(facts)
    return facts


@pytest.fixture(scope="module")
def baremetal(lab):
    conn = openstack.connect(auth_type="none", baremetal_endpoint_override=lab.url("ironic"))
    yield conn.baremetal
    conn.close()


def redfish(facts: dict, server: str) -> tuple[sushy.Sushy, str]:
    """A sushy client talking to ``server``'s own BMC, and its system path."""
    bmc = facts["bmc_systems"][server]
    # the emulator has no SessionService: basic auth, as Ironic ends up using
    root = sushy.Sushy(bmc["address"] + "/redfish/v1", verify=facts["bmc_ca"],
                       auth=sushy.auth.BasicAuth(bmc["username"], bmc["password"]))
    return root, f"/redfish/v1/Systems/{bmc['system_id']}"


def wait_power(root: sushy.Sushy, system_path: str, wanted: str, timeout: float = 30) -> float:
    """Wait until the BMC reports ``wanted`` ("on"/"off"); returns the seconds it took."""
    started = time.monotonic()
    while True:
        state = root.get_system(system_path).power_state
        if state.value.lower() == wanted:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"BMC still reports {state.value}, expected {wanted}")
        time.sleep(0.3)


def _value(field) -> str | None:
    """sushy gives enums for some fields and plain strings for others."""
    return getattr(field, "value", field)


def chassis_of(root: sushy.Sushy, system_path: str):
    system = root.get_system(system_path)
    return root.get_chassis(system.json["Links"]["Chassis"][0]["@odata.id"])


@pytest.fixture(scope="module")
def free_server(facts, baremetal) -> str:
    """A server of the inventory none of whose MACs is already a port in Ironic."""
    for node in baremetal.nodes(details=True):
        if (node.extra or {}).get("created_by") == MARK:  # left by an interrupted run
            _delete(baremetal, node.id)
    used = {p.address.lower() for p in baremetal.ports()}
    for name, bmc in sorted(facts["bmc_systems"].items(), reverse=True):
        if not used & {m.lower() for m in bmc["macs"]}:
            return name
    pytest.fail("every inventory server already has its MACs enrolled in Ironic")


# -- the BMC emulator on its own ---------------------------------------------------------

def test_each_bmc_serves_its_own_system_over_verified_tls(facts):
    for name, bmc in sorted(facts["bmc_systems"].items()):
        root, path = redfish(facts, name)
        members = [m.path for m in root.get_system_collection().get_members()]
        assert members == [path]
        system = root.get_system(path)
        assert system.name == name and system.uuid == bmc["system_id"]
        macs = {nic.mac_address.lower() for nic in system.ethernet_interfaces.get_members()}
        assert macs == {m.lower() for m in bmc["macs"]}


def test_bmc_refuses_wrong_credentials_and_unverified_tls(facts):
    by_ref: dict[str, str] = {}
    for name, bmc in sorted(facts["bmc_systems"].items()):
        by_ref.setdefault(bmc["credentials"], name)
    assert len(by_ref) >= 2, "the sample inventory has BMCs with different credentials"
    (_, a), (_, b) = list(by_ref.items())[:2]
    bmc_a, bmc_b = facts["bmc_systems"][a], facts["bmc_systems"][b]
    url = f"{bmc_a['address']}/redfish/v1/Systems/{bmc_a['system_id']}"
    assert requests.get(url, verify=facts["bmc_ca"], timeout=10).status_code == 401
    assert requests.get(url, auth=(bmc_a["username"], "wrong"), verify=facts["bmc_ca"],
                        timeout=10).status_code == 401
    # another site's credentials are valid somewhere, but not on this BMC
    assert requests.get(url, auth=(bmc_b["username"], bmc_b["password"]), verify=facts["bmc_ca"],
                        timeout=10).status_code == 401
    assert requests.get(url, auth=(bmc_a["username"], bmc_a["password"]), verify=facts["bmc_ca"],
                        timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, auth=(bmc_a["username"], bmc_a["password"]), timeout=10)  # system CAs
    # the credentials are published the way the inventory references them (env:NAME)
    ref = bmc_a["credentials"].removeprefix("env:")
    assert facts["bmc_env"][f"{ref}_USERNAME"] == bmc_a["username"]
    assert facts["bmc_env"][f"{ref}_PASSWORD"] == bmc_a["password"]


def test_thermal_and_power_readings_change_over_redfish(lab, facts):
    server = sorted(facts["bmc_systems"])[0]
    root, path = redfish(facts, server)
    reset_sensors(lab, server)
    try:
        chassis = chassis_of(root, path)
        thermal = chassis.thermal
        temps = {_value(t.physical_context) or t.name: t for t in thermal.temperatures}
        inlet = temps["Intake"]
        assert inlet.reading_celsius < inlet.upper_threshold_non_critical < inlet.upper_threshold_critical
        assert "CPU" in temps and temps["CPU"].reading_celsius > 0
        assert thermal.fans and all(f.reading > 0 and f.status.health.value == "OK" for f in thermal.fans)
        power = chassis.power
        assert [p.status.health.value for p in power.power_supplies] == ["OK", "OK"]
        assert power.json["PowerControl"][0]["PowerConsumedWatts"] > 0
        assert chassis.status.health.value == "OK"

        set_sensors(lab, server, {"temperatures": {"inlet": {"reading": 45}},
                                  "psus": {"psu2": {"health": "Critical"}}})
        chassis = chassis_of(root, path)  # fresh resources: readings are not cached
        inlet = next(t for t in chassis.thermal.temperatures if t.name == inlet.name)
        assert inlet.reading_celsius == 45
        assert inlet.status.health.value == "Critical"
        psus = chassis.power.power_supplies
        assert [p.status.health.value for p in psus] == ["OK", "Critical"]
        assert psus[1].last_power_output_watts == 0 and psus[1].line_input_voltage == 0
        assert chassis.power.json["Redundancy"][0]["Status"]["Health"] == "Warning"
        assert chassis.status.health.value == "Critical"
        assert root.get_system(path).status.health_rollup.value == "Critical"
        assert get_sensors(lab, server)["health"] == "Critical"
    finally:
        reset_sensors(lab, server)
    assert chassis_of(root, path).status.health.value == "OK"


# -- Ironic over Redfish ------------------------------------------------------------------

def test_node_lifecycle_over_redfish(lab, facts, baremetal, free_server):
    server = free_server
    fields = node_fields(lab, server)
    macs = fields.pop("ports")
    root, path = redfish(facts, server)
    timings: dict[str, float] = {}
    started = time.monotonic()
    node = baremetal.create_node(**fields, extra={"created_by": MARK})
    try:
        assert node.provision_state == "enroll"
        for mac in macs:
            baremetal.create_port(node_uuid=node.id, address=mac)
        assert {p.address for p in baremetal.ports(node_uuid=node.id)} == set(macs)

        t = time.monotonic()
        node = baremetal.set_node_provision_state(node, "manage", wait=True, timeout=WAIT)
        timings["manage"] = time.monotonic() - t
        assert node.provision_state == "manageable", node.last_error
        assert node.power_state in ("power on", "power off")  # read over Redfish at validation

        t = time.monotonic()
        node = baremetal.set_node_provision_state(node, "provide", wait=True, timeout=WAIT)
        timings["provide"] = time.monotonic() - t
        assert node.provision_state == "available", node.last_error

        baremetal.update_node(node, instance_info=deploy_instance_info(lab))
        t = time.monotonic()
        node = baremetal.set_node_provision_state(node, "active", wait=True, timeout=WAIT)
        timings["deploy"] = time.monotonic() - t
        assert node.provision_state == "active", node.last_error
        assert node.power_state == "power on"
        assert wait_power(root, path, "on") < 1  # Ironic waited for the BMC already
        assert root.get_system(path).boot.target.value == "Pxe"

        t = time.monotonic()
        baremetal.set_node_power_state(node, "power off", wait=True, timeout=WAIT)
        timings["power off"] = time.monotonic() - t
        assert baremetal.get_node(node.id).power_state == "power off"
        wait_power(root, path, "off")
        watts_off = chassis_of(root, path).power.json["PowerControl"][0]["PowerConsumedWatts"]

        t = time.monotonic()
        baremetal.set_node_power_state(node, "power on", wait=True, timeout=WAIT)
        timings["power on"] = time.monotonic() - t
        assert baremetal.get_node(node.id).power_state == "power on"
        wait_power(root, path, "on")
        watts_on = chassis_of(root, path).power.json["PowerControl"][0]["PowerConsumedWatts"]
        assert watts_on > watts_off  # the consumed power follows the power state

        t = time.monotonic()
        node = baremetal.set_node_provision_state(node, "deleted", wait=True, timeout=WAIT)
        timings["undeploy"] = time.monotonic() - t
        assert node.provision_state == "available", node.last_error
    finally:
        _delete(baremetal, node.id)
    timings["total"] = time.monotonic() - started
    print("node lifecycle timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    assert baremetal.find_node(fields["name"]) is None


def _delete(baremetal, node_id: str) -> None:
    """Delete the node whatever state the test left it in."""
    node = baremetal.find_node(node_id)
    if node is None:
        return
    if node.provision_state not in ("enroll", "manageable", "available", "adopt failed",
                                    "inspect failed", "clean failed"):
        baremetal.set_node_maintenance(node, reason="test cleanup")
    baremetal.delete_node(node)
