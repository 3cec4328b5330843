"""Racks against the lab: enroll + provide, BMC health sweep, SSH check.

Goals (issue 5):
* enroll + provide 20 nodes: dcctl (plan from a snapshot, concurrent apply, concurrent
  provisioning watched by one list call per poll) >= 5x faster than a sequential openstacksdk
  loop (create node, its ports, manage and provide with ``wait=True``), same run, same lab;
* health sweep of 50 BMCs: concurrent vs sequential, the ratio (no goal named);
* SSH check of every lab host: wall time (no goal named).

What is feasible in the lab: the BMC emulator serves the inventory's 15 systems only. The 20
bench nodes (``bench-rack-NN``) therefore point, round robin, at those 15 BMCs (5 BMCs back two
nodes), with generated MACs: Ironic validates power over real Redfish for each, and nothing
collides with the inventory's own nodes and ports (other tests may be using those). Likewise
the 50 "BMCs" of the sweep are the 15 real ones read 3-4 times each. Bench nodes are deleted
before and after each side. Needs ``dcctl lab up``.

Where dcctl's time went (py-spy on the lab's processes during the 20-node run): 90 % of
Ironic's samples were PBKDF2 (600,000 rounds of SHA-512) that Ironic's Redfish driver computes
to key its cached BMC session, before every Redfish call; about 140 such calls for 20 nodes
verifying, 0.25 s of CPU each, queued on two cores. The BMC emulator was ~1 % busy. The lab's
Ironic now remembers that hash (``dcctl/lab/files/ironic/dcctl_ironic.py``), and dcctl asks for
each provision action with one PUT (openstacksdk GETs the node after it). The peer's time is
its waits: openstacksdk polls a node every 2 s, twice per node, whatever Ironic's speed.

    python bench/racks.py [--nodes 20] [--bmcs 50] [--json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench-rack-"  # this bench's nodes only: other benches make bench-* nodes of their own


def lab_env():
    """The lab and the environment `dcctl lab env` gives (credentials, CA, cloud), applied here."""
    sys.path.insert(0, str(ROOT))
    from dcctl.lab import process
    from dcctl.lab.paths import LabPaths
    from dcctl.lab.service import Lab
    from dcctl.lab.services.bmc import BmcEmulator
    from dcctl.lab.services.hosts import RackHosts
    from dcctl.lab.services.ironic import deploy_profile

    lab = Lab(paths=LabPaths.default(), inventory_dir=ROOT / "inventory")
    down = [n for n in ("keystone", "ironic", "bmc", "hosts") if process.pid_of(lab.paths, n) is None]
    if down:
        sys.exit(f"lab service(s) not running: {', '.join(down)} (dcctl lab up)")
    bmc, hosts = BmcEmulator().facts(lab), RackHosts().facts(lab)
    os.environ.update(bmc["bmc_env"])
    os.environ.update({"OS_CLIENT_CONFIG_FILE": str(lab.paths.clouds_yaml), "OS_CLOUD": "dcctl-lab",
                       "DCCTL_BMC_CA": bmc["bmc_ca"], "DCCTL_DEPLOY_PROFILE": str(deploy_profile(lab))})
    return lab, bmc, hosts


def bench_specs(count: int):
    """``count`` node specs named bench-rack-NN, on the inventory's BMCs round robin, with their own
    MACs, in rack "bench" (so `rack enroll RACK --prune` in a test never takes them for its orphans)."""
    from dcctl.inventory import load_inventory
    from dcctl.inventory.model import Nic
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.racks.desired import node_spec

    inv, _ = load_inventory(ROOT / "inventory")
    servers = sorted((d for d in inv.servers() if d.bmc), key=lambda d: d.name)
    profile = load_deploy_profile(None)
    specs = []
    for i in range(count):
        base = servers[i % len(servers)]
        device = base.model_copy(update={
            "name": f"{PREFIX}{i:02d}", "rack": "bench",  # extra.dcctl_rack: no rack's enroll sees them
            "nics": [Nic(name="eno1", mac=f"52:54:00:be:00:{i:02x}", pxe=True),
                     Nic(name="eno2", mac=f"52:54:00:be:01:{i:02x}")]})
        specs.append(node_spec(device, inv.racks[base.rack].site, profile))
    return specs


def delete_bench_nodes(baremetal) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def delete(node):
        for _ in range(20):
            try:
                if node.provision_state not in ("enroll", "manageable", "available"):
                    baremetal.set_node_maintenance(node, reason="bench cleanup")
                baremetal.delete_node(node)
                return
            except Exception:  # noqa: BLE001 - locked while an action finishes
                time.sleep(0.5)

    nodes = [n for n in baremetal.nodes(details=True) if (n.name or "").startswith(PREFIX)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(delete, nodes))


def dcctl_enroll_provide(specs, concurrency: int) -> tuple[float, int, int]:
    """dcctl's way, through its library (what `rack enroll` + `rack provision` run): seconds, API calls, ok."""
    from dcctl.racks.apply import EnrollRecorder, apply_enroll
    from dcctl.racks.credentials import CredentialCache
    from dcctl.racks.ironic import connect_baremetal, read_snapshot
    from dcctl.racks.plan import plan_enroll
    from dcctl.racks.provision import provision

    conn = connect_baremetal("dcctl-lab")
    read_snapshot(conn.baremetal)  # authenticate and discover the endpoint (both sides do it untimed)
    conn.dcctl_calls.reset()
    start = time.perf_counter()
    snapshot = read_snapshot(conn.baremetal)
    plan = plan_enroll(specs, snapshot, {"bench"})
    report_ = apply_enroll(plan, conn.baremetal, CredentialCache(), concurrency=8,
                           recorder=EnrollRecorder(store=False))
    assert report_.ok, [r.error for r in report_.results if r.error][:3]
    nodes = {r.action.label.split()[0]: r.value for r in report_.results if r.action.key.startswith("node:")}
    results = provision(conn.baremetal, nodes, "available", concurrency=concurrency)
    elapsed = time.perf_counter() - start
    calls = conn.dcctl_calls.total
    conn.close()
    return elapsed, calls, sum(r.ok for r in results)


def sdk_loop_enroll_provide(specs) -> tuple[float, int, int]:
    """What a quick script does: one node at a time, waiting for each transition."""
    from dcctl.core.cloud import connect
    from dcctl.racks.credentials import resolve_credentials

    conn = connect("dcctl-lab")
    bm = conn.baremetal
    list(bm.nodes())  # authenticate and discover the endpoint, untimed
    conn.dcctl_calls.reset()
    ok = 0
    start = time.perf_counter()
    for spec in specs:
        body = spec.create_body()
        creds = resolve_credentials(spec.credentials)
        body["driver_info"].update(redfish_username=creds.username, redfish_password=creds.password.reveal())
        node = bm.create_node(name=spec.name, **body)
        for port in spec.ports:
            bm.create_port(node_uuid=node.id, address=port.mac, pxe_enabled=port.pxe)
        bm.set_node_provision_state(node, "manage", wait=True, timeout=300)
        node = bm.set_node_provision_state(node, "provide", wait=True, timeout=300)
        ok += node.provision_state == "available"
    elapsed = time.perf_counter() - start
    calls = conn.dcctl_calls.total
    conn.close()
    return elapsed, calls, ok


def health_sweeps(count: int) -> tuple[float, float]:
    from dcctl.inventory import load_inventory
    from dcctl.racks.credentials import CredentialCache
    from dcctl.racks.health import BmcTarget, sweep

    inv, _ = load_inventory(ROOT / "inventory")
    servers = sorted((d for d in inv.servers() if d.bmc), key=lambda d: d.name)
    targets = [BmcTarget(f"{d.name}#{i}", d.rack, d.bmc.address, d.bmc.system_id, d.bmc.credentials, d.power_w)
               for i in range(count) for d in [servers[i % len(servers)]]]
    ca = os.environ["DCCTL_BMC_CA"]
    creds = CredentialCache()
    sweep(targets[:len(servers)], creds, ca=ca)  # warm: credentials resolved, TLS code loaded
    timings = []
    for concurrency in (16, 1):
        start = time.perf_counter()
        results = sweep(targets, creds, ca=ca, concurrency=concurrency)
        timings.append(time.perf_counter() - start)
        bad = [r for r in results if r.error]
        assert not bad, bad[0].error
    return timings[0], timings[1]


def ssh_check(hosts: dict) -> tuple[float, float, int]:
    """Library wall time (median of 3) and the whole `dcctl rack check --all` command; hosts checked."""
    import statistics
    import subprocess

    from dcctl.inventory import load_inventory
    from dcctl.racks.ssh_check import SshTarget, check_hosts

    inv, _ = load_inventory(ROOT / "inventory")
    targets = [SshTarget(d.name, d.rack, d.ssh.host, d.ssh.port, d.ssh.user) for d in inv.servers() if d.ssh]
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        results = check_hosts(targets, Path(hosts["known_hosts"]), key_file=hosts["ssh_key"])
        samples.append(time.perf_counter() - start)
        assert all(r.ok for r in results), [r.reason for r in results if not r.ok]
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "dcctl"), "--inventory", str(ROOT / "inventory"), "rack",
                    "check", "--all", "--known-hosts", hosts["known_hosts"], "--ssh-key", hosts["ssh_key"]],
                   check=True, stdout=subprocess.DEVNULL)
    cli = time.perf_counter() - start
    return statistics.median(samples), cli, len(targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--bmcs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=20, help="dcctl provision concurrency [20]")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    _lab, _bmc, hosts = lab_env()
    import openstack

    admin = openstack.connect(cloud="dcctl-lab")
    specs = bench_specs(args.nodes)
    try:
        delete_bench_nodes(admin.baremetal)
        ours, our_calls, our_ok = dcctl_enroll_provide(specs, args.concurrency)
        delete_bench_nodes(admin.baremetal)
        peer, peer_calls, peer_ok = sdk_loop_enroll_provide(specs)
    finally:
        delete_bench_nodes(admin.baremetal)
        admin.close()
    if our_ok != args.nodes or peer_ok != args.nodes:
        sys.exit(f"not every node reached available: dcctl {our_ok}, peer {peer_ok} of {args.nodes}")
    concurrent, sequential = health_sweeps(args.bmcs)
    ssh_lib, ssh_cli, ssh_hosts = ssh_check(hosts)
    n = args.nodes
    report([
        Measure(f"rack_enroll_provide_{n}", ours, "s", ">= 5x", peer / ours >= 5,
                "sequential openstacksdk loop", peer, peer / ours),
        Measure(f"rack_enroll_provide_{n}_calls", our_calls, "calls", "informative", True,
                "sequential openstacksdk loop", peer_calls, peer_calls / our_calls),
        Measure(f"rack_health_sweep_{args.bmcs}", concurrent, "s", "ratio (no goal named)", True,
                "same sweep, one BMC at a time", sequential, sequential / concurrent),
        Measure(f"rack_ssh_check_{ssh_hosts}", ssh_lib, "s", "wall time (no goal named)", True),
        Measure(f"rack_ssh_check_{ssh_hosts}_cli", ssh_cli, "s", "wall time, whole command", True),
    ])


if __name__ == "__main__":
    main()
