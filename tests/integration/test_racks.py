"""``dcctl rack`` against the lab: Ironic over real Redfish, the BMC emulator, the sshd rack hosts.

The module starts and ends with no node of the inventory in Ironic (other lab tests enroll
their own tagged node). Faults that would disturb the shared lab (a wrong system id, a dead
BMC, a stopped host) are made in a copy of the inventory or of the known_hosts file, not
in the lab itself.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import openstack
import pytest
import sushy
import sushy.auth
from click.testing import CliRunner

from dcctl.cli.main import main
from dcctl.lab.services.bmc import BmcEmulator, reset_sensors, set_sensors
from dcctl.lab.services.hosts import RackHosts
from dcctl.lab.services.ironic import deploy_profile

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventory"
SERVERS = 15
STABLE = ("enroll", "manageable", "available", "adopt failed", "inspect failed", "clean failed")


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture(scope="module")
def facts(lab):
    from dcctl.lab import process

    down = [n for n in ("ironic", "bmc", "hosts") if process.pid_of(lab.paths, n) is None]
    if down:
        pytest.skip(f"lab service(s) not running in this session: {', '.join(down)}")
    facts = dict(lab.facts)
    facts.update(BmcEmulator().facts(lab))
    facts.update(RackHosts().facts(lab))
    return facts


@pytest.fixture(scope="module")
def env(lab, facts, tmp_path_factory) -> dict[str, str]:
    """What an engineer has after ``eval "$(dcctl lab env)"``, and a private records dir."""
    return {
        **facts["bmc_env"],  # DCCTL_BMC_<SITE>_USERNAME / _PASSWORD, DCCTL_BMC_CA
        "DCCTL_BMC_CA": facts["bmc_ca"],
        "OS_CLOUD": "dcctl-lab",
        "OS_CLIENT_CONFIG_FILE": str(lab.paths.clouds_yaml),
        "DCCTL_DEPLOY_PROFILE": str(deploy_profile(lab)),
        "DCCTL_KNOWN_HOSTS": facts["known_hosts"],
        "DCCTL_SSH_KEY": facts["ssh_key"],
        "DCCTL_STATE_DIR": str(tmp_path_factory.mktemp("rack-state")),
    }


@pytest.fixture(scope="module")
def passwords(facts) -> list[str]:
    return [c["password"] for c in facts["bmc_credentials"].values()]


def dcctl(env: dict, *args: str, inventory: Path = INVENTORY, **overrides) -> Run:
    """Run the CLI in-process (as the console script does: exit codes included)."""
    with CliRunner().isolation(env={**env, **overrides}) as (out, err, _):
        try:
            main(["--inventory", str(inventory), *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Run(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture(scope="module")
def baremetal(lab, facts):
    conn = openstack.connect(cloud="dcctl-lab")
    yield conn.baremetal
    conn.close()


def inventory_names() -> set[str]:
    from dcctl.inventory import load_inventory

    inv, _ = load_inventory(INVENTORY)
    return {d.name for d in inv.servers()}


def delete_nodes(baremetal, names: set[str]) -> None:
    """Remove the inventory's nodes whatever state they are in (maintenance first when needed)."""
    from concurrent.futures import ThreadPoolExecutor

    def delete(node) -> None:
        for _attempt in range(40):
            try:
                if node.provision_state not in STABLE and not node.is_maintenance:
                    baremetal.set_node_maintenance(node, reason="tests/integration/test_racks.py cleanup")
                baremetal.delete_node(node)
                return
            except openstack.exceptions.ConflictException:  # locked by a running action
                time.sleep(0.5)
                node = baremetal.get_node(node.id)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(delete, [n for n in baremetal.nodes(details=True) if n.name in names]))


@pytest.fixture(scope="module", autouse=True)
def empty_ironic(baremetal):
    names = inventory_names()
    delete_nodes(baremetal, names)
    yield
    delete_nodes(baremetal, names)
    assert not [n.name for n in baremetal.nodes() if n.name in names]


def bmc(facts: dict, server: str):
    """sushy on ``server``'s own BMC, TLS verified, and its system."""
    b = facts["bmc_systems"][server]
    root = sushy.Sushy(b["address"], verify=facts["bmc_ca"], auth=sushy.auth.BasicAuth(b["username"], b["password"]))
    return root.get_system(f"/redfish/v1/Systems/{b['system_id']}")


def edited_inventory(tmp_path: Path, file: str, *replacements: tuple[str, str]) -> Path:
    """A copy of the inventory with text replaced in one file (each replacement must apply)."""
    copy = tmp_path / "inventory"
    shutil.copytree(INVENTORY, copy)
    path = copy / file
    text = path.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return copy


def node_results(run: Run) -> dict[str, dict]:
    return {n["node"]: n for n in run.json["nodes"]}


# -- enroll -----------------------------------------------------------------------------

def test_enroll_from_empty_fails_only_the_nodes_without_credentials_then_converges(env, baremetal, passwords):
    first = dcctl(env, "rack", "enroll", "--all", "--json", DCCTL_BMC_ANBAR_PASSWORD=None)
    assert first.code == 1, first.err
    failed = {r["key"]: r["error"] for r in first.json["results"] if r["outcome"] == "failed"}
    assert failed == {f"node:anb-cmp0{i}": "BMC credentials env:DCCTL_BMC_ANBAR: DCCTL_BMC_ANBAR_PASSWORD is not set"
                      for i in (1, 2)}
    skipped = [r for r in first.json["results"] if r["outcome"] == "skipped"]
    assert len(skipped) == 4 and all("anb-cmp" in r["label"] for r in skipped)  # their ports
    assert len([n for n in baremetal.nodes() if n.name in inventory_names()]) == SERVERS - 2

    second = dcctl(env, "rack", "enroll", "--all")
    assert second.code == 0, second.err
    assert "Plan: 6 to create, 0 to change, 0 to delete." in second.out  # the two nodes and their ports
    assert "Apply: 6 done, 0 failed, 0 not started." in second.out

    nodes = {n.name: n for n in baremetal.nodes(details=True) if n.name in inventory_names()}
    assert len(nodes) == SERVERS
    cmp01 = nodes["bsr-cmp01"]
    assert cmp01.driver == "redfish" and cmp01.provision_state == "enroll"
    assert cmp01.driver_info["redfish_address"] == "https://127.0.21.11:28443"
    assert cmp01.driver_info["redfish_username"] == env["DCCTL_BMC_BASRA_USERNAME"]
    assert cmp01.properties["cpus"] == 64 and cmp01.resource_class == "baremetal-compute"
    assert cmp01.boot_interface == "pxe" and cmp01.deploy_interface == "ramdisk"  # from the lab's profile
    ports = {p.address: p for p in baremetal.ports(details=True, node=cmp01.id)}
    assert {a: p.is_pxe_enabled for a, p in ports.items()} == {"52:54:00:f0:ce:99": True, "52:54:00:b0:1f:04": False}

    records = "".join(p.read_text(errors="replace") for p in Path(env["DCCTL_STATE_DIR"]).rglob("*") if p.is_file())
    for text in (first.out, first.err, second.out, second.err, records):
        assert not [p for p in passwords if p in text], "a BMC password was printed or recorded"


def test_replan_is_a_no_op_read_with_two_list_calls(env, passwords):
    from dcctl.core.cloud import connect
    from dcctl.inventory import load_inventory
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.racks.desired import node_specs
    from dcctl.racks.ironic import read_snapshot
    from dcctl.racks.plan import plan_enroll

    run = dcctl(env, "rack", "enroll", "--all", "--plan", "--json")
    assert run.code == 0, run.err
    assert run.json["plan"]["actions"] == [] and run.json["applied"] is False
    assert not [p for p in passwords if p in run.out]

    inv, _ = load_inventory(INVENTORY)
    specs = node_specs(inv, inv.servers(), load_deploy_profile(env["DCCTL_DEPLOY_PROFILE"]))
    conn = connect("dcctl-lab")
    try:
        read_snapshot(conn.baremetal)  # authenticates and discovers the endpoint once
        conn.dcctl_calls.reset()
        assert plan_enroll(specs, read_snapshot(conn.baremetal)).is_empty
        assert conn.dcctl_calls.by_method == {"GET": 2}
    finally:
        conn.close()


def test_drift_finds_a_changed_bmc_address_and_a_lost_port_and_enroll_repairs_both(env, baremetal):
    stg01 = baremetal.find_node("bgw-stg01")
    baremetal.patch_node(stg01, [{"op": "replace", "path": "/driver_info/redfish_address",
                                  "value": "https://127.0.20.99:28443"}])
    stg02 = baremetal.find_node("bgw-stg02")
    lost = next(iter(baremetal.ports(node=stg02.id)))
    baremetal.delete_port(lost)

    drift = dcctl(env, "rack", "drift", "--json", "--exit-code")
    assert drift.code == 1
    ours = inventory_names()  # other tests may have nodes of their own in Ironic right now
    found = {(d["kind"], d["node"], d["field"]) for d in drift.json["drift"] if d["node"] in ours}
    assert found == {("field", "bgw-stg01", "driver_info.redfish_address"), ("missing-port", "bgw-stg02", "port")}

    plan = dcctl(env, "rack", "enroll", "bgw-b01", "--plan", "--json").json["plan"]
    assert [(a["op"], a["key"]) for a in plan["actions"]] == [("update", "node:bgw-stg01"),
                                                              ("create", f"port:{lost.address}")]
    assert dcctl(env, "rack", "enroll", "bgw-b01").code == 0
    again = dcctl(env, "rack", "drift", "--json")
    assert [d for d in again.json["drift"] if d["node"] in ours] == []


def test_prune_deletes_a_renamed_servers_old_node_after_asking_and_its_macs_go_to_the_new_one(
        env, baremetal, tmp_path):
    """anb-cmp02 renamed anb-cmp12 in a copy of the inventory: the old node is an orphan dcctl
    enrolled, idle, so --prune deletes it; a node of the same rack dcctl did not enroll stays."""
    renamed = edited_inventory(tmp_path, "anbar.yaml", ("name: anb-cmp02", "name: anb-cmp12"))
    macs = {"52:54:00:b0:ae:fd", *[p.address for p in baremetal.ports(node=baremetal.find_node("anb-cmp02").id)]}
    foreign = baremetal.create_node(name="racks-prune-foreign", driver="redfish", extra={"dcctl_rack": "anb-r01"})
    try:
        noted = dcctl(env, "rack", "enroll", "anb-r01", "--plan", "--json", inventory=renamed).json["plan"]
        assert not [a for a in noted["actions"] if a["op"] == "delete"]
        assert any("node anb-cmp02 (rack anb-r01)" in n and n.endswith("`--prune` deletes it")
                   for n in noted["notes"])

        plan = dcctl(env, "rack", "enroll", "anb-r01", "--prune", "--plan", "--json", inventory=renamed).json["plan"]
        assert [(a["op"], a["key"]) for a in plan["actions"]][:2] == [("delete", "node:anb-cmp02"),
                                                                     ("create", "node:anb-cmp12")]
        ports = [a for a in plan["actions"] if a["kind"] == "port"]
        assert {a["key"] for a in ports} == {f"port:{m}" for m in macs}
        assert all(set(a["depends_on"]) == {"node:anb-cmp02", "node:anb-cmp12"} for a in ports)
        assert any("node racks-prune-foreign (rack anb-r01)" in n and "kept: dcctl did not enroll it" in n
                   for n in plan["notes"])

        refused = dcctl(env, "rack", "enroll", "anb-r01", "--prune", inventory=renamed)
        assert refused.code == 1 and "pass --yes" in refused.err
        assert baremetal.find_node("anb-cmp02") is not None

        run = dcctl(env, "rack", "enroll", "anb-r01", "--prune", "--yes", "--json", inventory=renamed)
        assert run.code == 0, run.out + run.err
        assert baremetal.find_node("anb-cmp02") is None
        new = baremetal.find_node("anb-cmp12")
        assert {p.address for p in baremetal.ports(node=new.id)} == macs
        assert baremetal.find_node("racks-prune-foreign") is not None
        audit = dcctl(env, "audit", "log", "--rack", "anb-r01", "--json")
        assert "delete node" in audit.out and "anb-cmp02" in audit.out

        back = dcctl(env, "rack", "enroll", "anb-r01", "--prune", "--yes")  # the real inventory again
        assert back.code == 0, back.out + back.err
        assert "Plan: 3 to create, 0 to change, 1 to delete." in back.out
        assert baremetal.find_node("anb-cmp12") is None
        assert {p.address for p in baremetal.ports(node=baremetal.find_node("anb-cmp02").id)} == macs
    finally:
        baremetal.delete_node(foreign)
        delete_nodes(baremetal, {"anb-cmp12"})


# -- provision and power ----------------------------------------------------------------------

def test_provision_a_rack_to_active_powers_on_its_emulated_systems(env, facts):
    run = dcctl(env, "rack", "provision", "bgw-a01", "--to", "active", "--json")
    assert run.code == 0, run.out + run.err
    nodes = node_results(run)
    assert set(nodes) == {"bgw-ctl01", "bgw-ctl02", "bgw-ctl03"}
    assert all(n["ok"] and n["provision_state"] == "active" and n["power_state"] == "power on" for n in nodes.values())
    assert all(n["actions"] == ["manage", "provide", "active"] for n in nodes.values())
    for name in nodes:
        system = bmc(facts, name)
        assert system.power_state.value == "On"
        assert system.boot.target.value == "Pxe"  # the ramdisk deploy set the boot override over Redfish
    assert "[" in run.err and "deploying" in run.err  # per-node progress lines on a pipe

    again = dcctl(env, "rack", "provision", "bgw-a01", "--to", "active", "--json")
    assert again.code == 0 and all(n["actions"] == [] for n in again.json["nodes"])


def test_power_off_a_rack_needs_confirmation_then_powers_every_system_off(env, facts):
    refused = dcctl(env, "rack", "power", "bgw-a01", "off")
    assert refused.code == 1 and "pass --yes" in refused.err
    assert bmc(facts, "bgw-ctl01").power_state.value == "On"

    run = dcctl(env, "rack", "power", "bgw-a01", "off", "--yes", "--json")
    assert run.code == 0, run.out + run.err
    assert all(n["ok"] and n["power_state"] == "power off" for n in run.json["nodes"])
    for name in ("bgw-ctl01", "bgw-ctl02", "bgw-ctl03"):
        assert bmc(facts, name).power_state.value == "Off"


def test_prune_keeps_an_orphan_that_is_deployed(env, tmp_path):
    """bgw-ctl03 is active (provisioned above): renamed in a copy of the inventory, its node is
    kept, with the reason, even with --prune."""
    renamed = edited_inventory(tmp_path, "baghdad/hall-a.yaml", ("name: bgw-ctl03", "name: bgw-ctl13"))
    run = dcctl(env, "rack", "enroll", "bgw-a01", "--prune", "--plan", "--json", inventory=renamed)
    assert run.code == 0, run.err
    plan = run.json["plan"]
    assert not [a for a in plan["actions"] if a["op"] == "delete"]
    assert any("node bgw-ctl03 (rack bgw-a01)" in n and "kept: in 'active'" in n for n in plan["notes"])


def test_a_wrong_system_id_fails_that_node_with_ironic_last_error_and_a_rerun_continues(env, tmp_path):
    wrong = edited_inventory(tmp_path, "basra.yaml", ("ca9b782b-bfe4-5233-98a8-aa639fe2dae4",
                                                      "00000000-0000-0000-0000-000000000000"))
    assert dcctl(env, "rack", "enroll", "bsr-r01", inventory=wrong).code == 0  # updates bsr-cmp02's system
    run = dcctl(env, "rack", "provision", "bsr-r01", "--json", inventory=wrong)
    assert run.code == 3
    nodes = node_results(run)
    assert nodes["bsr-cmp01"]["ok"] and nodes["bsr-cmp01"]["provision_state"] == "available"
    bad = nodes["bsr-cmp02"]
    assert not bad["ok"] and bad["provision_state"] == "enroll"
    assert bad["error"].startswith("'manage' did not move it out of 'enroll': ")
    assert "/redfish/v1/Systems/00000000-0000-0000-0000-000000000000 not found" in bad["error"]

    assert dcctl(env, "rack", "enroll", "bsr-r01").code == 0  # the inventory is right again
    rerun = dcctl(env, "rack", "provision", "bsr-r01", "--json")
    assert rerun.code == 0, rerun.out
    nodes = node_results(rerun)
    assert nodes["bsr-cmp01"]["actions"] == [] and nodes["bsr-cmp02"]["actions"] == ["manage", "provide"]
    assert all(n["provision_state"] == "available" for n in nodes.values())


# -- health ----------------------------------------------------------------------------------

def test_health_sweep_reads_the_emulator_and_flags_a_hot_inlet_and_a_failed_psu(env, lab):
    healthy = dcctl(env, "rack", "health", "bgw-a02", "--json")
    assert healthy.code == 0, healthy.out
    bmcs = {b["device"]: b for b in healthy.json["bmcs"]}
    assert set(bmcs) == {"bgw-cmp01", "bgw-cmp02", "bgw-cmp03"}
    for b in bmcs.values():
        assert b["level"] == "ok" and b["health"] == "OK" and not b["marks"]
        assert len(b["temperatures"]) == 4 and len(b["fans"]) == 4 and len(b["psus"]) == 2
        assert b["consumed_watts"] > 0

    set_sensors(lab, "bgw-cmp02", {"temperatures": {"inlet": {"reading": 45}}, "psus": {"psu2": {"health": "Critical"}}})
    try:
        run = dcctl(env, "rack", "health", "bgw-a02", "--json")
        text = dcctl(env, "rack", "health", "bgw-a02")
    finally:
        reset_sensors(lab, "bgw-cmp02")
    assert run.code == 3
    bmcs = {b["device"]: b for b in run.json["bmcs"]}
    hot = bmcs["bgw-cmp02"]
    assert hot["level"] == "critical" and hot["health"] == "Critical"
    assert [(m["level"], m["sensor"]) for m in hot["marks"]] == [("critical", "System Board Inlet Temp"),
                                                                 ("critical", "PS2 Status")]
    assert hot["marks"][0]["text"] == "System Board Inlet Temp 45°C >= critical 42°C (BMC)"
    assert bmcs["bgw-cmp01"]["level"] == bmcs["bgw-cmp03"]["level"] == "ok"
    assert "System Board Inlet Temp 45°C >= critical 42°C" in text.out and "1 critical" in text.out


def test_health_reports_each_broken_bmc_and_still_reads_the_others(env, tmp_path):
    broken = edited_inventory(tmp_path, "baghdad/hall-a.yaml",
                              ("https://127.0.20.11:28443", "https://127.0.20.99:28443"),  # nothing there
                              ("710aa692-4f8c-592e-a37e-4a0c462d6389",  # bgw-ctl02: a system its BMC lacks
                               "00000000-0000-0000-0000-00000000dead"))
    run = dcctl(env, "rack", "health", "bgw-a01", "--json", inventory=broken)
    assert run.code == 3
    bmcs = {b["device"]: b for b in run.json["bmcs"]}
    assert bmcs["bgw-ctl01"]["error"] == "unreachable: connection refused by https://127.0.20.99:28443"
    assert bmcs["bgw-ctl02"]["error"] == ("wrong system id: the BMC has no system 00000000-0000-0000-0000-00000000dead "
                                          "(it has 710aa692-4f8c-592e-a37e-4a0c462d6389)")
    assert bmcs["bgw-ctl03"]["error"] == "" and bmcs["bgw-ctl03"]["level"] == "ok"

    refused = dcctl(env, "rack", "health", "bsr-r01", "--json", DCCTL_BMC_BASRA_PASSWORD="not-the-password")
    assert refused.code == 3
    assert {b["error"] for b in refused.json["bmcs"]} == {
        "the BMC refused the credentials of env:DCCTL_BMC_BASRA (HTTP 401)"}
    missing = dcctl(env, "rack", "health", "anb-r01", "--json", DCCTL_BMC_ANBAR_USERNAME=None)
    assert {b["error"] for b in missing.json["bmcs"]} == {
        "BMC credentials env:DCCTL_BMC_ANBAR: DCCTL_BMC_ANBAR_USERNAME is not set"}
    untrusted = dcctl(env, "rack", "health", "anb-r01", "--json", DCCTL_BMC_CA=None)
    assert all(b["error"].startswith("TLS verification failed") for b in untrusted.json["bmcs"])


# -- SSH check -------------------------------------------------------------------------------

def test_ssh_check_passes_on_every_host(env):
    run = dcctl(env, "rack", "check", "--all", "--json")
    assert run.code == 0, run.out
    hosts = run.json["hosts"]
    assert len(hosts) == SERVERS and all(h["ok"] for h in hosts)
    assert all(h["uname"].startswith("Linux ") and 0 <= h["root_use_percent"] <= 100 for h in hosts)
    assert all(h["uptime_seconds"] > 0 and len(h["load"]) == 3 for h in hosts)


def test_ssh_check_names_each_failing_host_and_why(env, facts, tmp_path):
    lines = Path(facts["known_hosts"]).read_text().splitlines()
    hosts = facts["rack_hosts"]

    def entry(name):
        return f"[{hosts[name]['host']}]:{hosts[name]['port']}"

    key_of = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines}
    known = tmp_path / "known_hosts"
    kept = []
    for line in lines:
        name = line.split()[0]
        if name == entry("bgw-cmp01"):  # its key replaced by another host's: as if it changed
            kept.append(f"{name} {key_of[entry('bgw-cmp02')]}")
        elif name != entry("bgw-cmp03"):  # never seen before
            kept.append(line)
    known.write_text("\n".join(kept) + "\n")
    stopped = edited_inventory(tmp_path, "basra.yaml", ("ssh: {host: 127.0.11.12, port: 2222}",
                                                        "ssh: {host: 127.0.11.12, port: 2299}"))

    run = dcctl(env, "rack", "check", "--all", "--known-hosts", str(known), inventory=stopped)
    assert run.code == 3
    errors = {line.split(" ", 2)[1]: line for line in run.err.splitlines() if line.startswith("error: ")}
    assert set(errors) == {"bgw-cmp01", "bgw-cmp03", "bsr-cmp02"}
    assert "host key changed: 127.0.10.14:2222 presented ssh-ed25519 SHA256:" in errors["bgw-cmp01"]
    assert "possible man-in-the-middle" in errors["bgw-cmp01"]
    assert f"host key unknown: {entry('bgw-cmp03')} is not in {known}" in errors["bgw-cmp03"]
    assert "unreachable: connection refused at 127.0.11.12:2299" in errors["bsr-cmp02"]
    assert "12 of 15 host(s) ok" in run.out


def test_servers_not_yet_cabled_are_not_enrolled(env, tmp_path):
    """Build-out status: a server still `installed` in the inventory is noted and left out."""
    early = edited_inventory(tmp_path, "basra.yaml", *[(", cabled: 2026-10-26}", "}")] * 2)
    run = dcctl(env, "--json", "rack", "enroll", "bsr-r01", "--plan", inventory=early)
    assert run.code == 0, run.err
    plan = run.json["plan"]
    assert not [a for a in plan["actions"] if a["kind"] == "node"]
    assert sum("is not cabled yet" in note for note in plan["notes"]) == 2


def test_a_second_apply_waits_for_the_racks_lock_then_names_the_holder(env, baremetal):
    import subprocess
    import sys

    delete_nodes(baremetal, {"anb-cmp01", "anb-cmp02"})  # so enroll has something to apply
    hold = ("import time\nfrom dcctl.audit.lock import apply_lock\n"
            "with apply_lock('racks', command='dcctl rack provision bgw-a01'):\n"
            "    print('locked', flush=True)\n    time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", hold], env={**os.environ, **env}, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        run = dcctl(env, "rack", "enroll", "anb-r01", "--lock-timeout", "1")
        assert run.code == 3
        assert "the racks lock is held by" in run.err and "dcctl rack provision bgw-a01" in run.err
        assert not [n for n in baremetal.nodes() if n.name in ("anb-cmp01", "anb-cmp02")]
    finally:
        holder.kill()
        holder.wait()
