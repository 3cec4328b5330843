"""Scrape latency served from memory vs the time one collection cycle takes.

The peers (openstack-exporter style) query the cloud on every scrape, so their
scrape costs a whole collection cycle. Load: a generated inventory of 10,000
devices and 100 bare-metal nodes enrolled in the lab's Ironic (created and
deleted by this script) and 200 tenants applied by dcctl (destroyed at the end), whose
quotas the tenants collector reads as the read-only account.

Goal (issue 7): scrape p50 / p99 <= 50 ms. Needs the lab up (`dcctl lab up`).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchlib import Measure, report
from inventory_validate import generate

NODES = 100
LISTEN = ("127.0.0.1", 9189)  # not the lab's exporter port: the lab's Prometheus scrapes 9180
TENANTS = 200
TENANT_PREFIX = "bench-x"
POLICY = "monitoring: {group: dcctl-monitoring, domain: Default, role: reader}\n"


def tenant_request(i: int) -> str:
    """A small tenant (quotas and one group): the collector's cost is per project, not per network."""
    return f"""slug: {TENANT_PREFIX}{i:03d}
name: {{en: Exporter Bench Entity {i}, ar: جهة اختبار المصدر {i}}}
kind: independent-entity
phase: {1 + i % 3}
sites: [bgw-dc1]
classification: internal
contacts: [{{name: Bench, email: bench{i}@example.gov.iq}}]
quota:
  compute: {{cores: {8 + i % 64}, ram_gb: 64, instances: 8}}
  volume: {{volumes: 10, gigabytes: 1000}}
  network: {{networks: 2, subnets: 2, ports: 50}}
groups:
  - {{name: admins, role: admin}}
"""


def apply_tenants(directory: Path) -> float:
    """The bench tenants, applied by dcctl itself (with the monitoring group's grant)."""
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "_policy.yaml").write_text(POLICY)
    for i in range(TENANTS):
        (directory / f"{TENANT_PREFIX}{i:03d}.yaml").write_text(tenant_request(i))
    start = time.perf_counter()
    for _attempt in range(3):  # a loaded lab Keystone (SQLite) may answer 500: a re-run continues
        out = subprocess.run([str(Path(sys.executable).parent / "dcctl"), "--os-cloud", "dcctl-lab", "--inventory",
                              str(Path(__file__).resolve().parents[1] / "inventory"), "--state-url",
                              f"sqlite:///{directory.parent / 'audit.sqlite'}", "tenant", "apply", "--tenants",
                              str(directory), "--yes"], capture_output=True, text=True)
        if out.returncode == 0:
            break
        print(f"apply stopped ({out.stdout.strip().splitlines()[-3:]}): running it again", file=sys.stderr)
    if out.returncode != 0:
        sys.exit(f"applying the bench tenants failed: {out.stdout[-1500:]}{out.stderr[-1500:]}")
    return time.perf_counter() - start


def remove_tenants(conn) -> None:
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    snap = read_snapshot(conn)
    plan = plan_destroy_many(snap, [d["name"] for d in snap.domains if d["name"].startswith(TENANT_PREFIX)])
    if plan.actions:
        apply_tenant_plan(conn, plan, concurrency=8)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import openstack
    from dcctl.lab.paths import LabPaths
    from dcctl.monitoring.serve import build_exporter, start_server

    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(LabPaths.default().clouds_yaml))
    from dcctl.core.cloud import connect

    admin = openstack.connect(cloud="dcctl-lab")
    created = []
    remove_tenants(connect("dcctl-lab"))  # leftovers of an interrupted run
    try:
        for i in range(NODES):
            created.append(admin.baremetal.create_node(name=f"bench-node-{i:03d}", driver="redfish",
                                                       driver_info={"redfish_address": "https://127.0.0.1:1",
                                                                    "redfish_system_id": f"/redfish/v1/Systems/{i}"}))
        with tempfile.TemporaryDirectory() as tmp:
            inventory, tenants = Path(tmp) / "inventory", Path(tmp) / "tenants"
            inventory.mkdir()
            generate(inventory)
            apply_s = apply_tenants(tenants)
            print(f"applied {TENANTS} bench tenants in {apply_s:.1f} s", file=sys.stderr)
            exporter = build_exporter(inventory, "dcctl-lab-reader", {}, tenants)
            cycle, per_collector = [], {}
            for _ in range(3):
                start = time.perf_counter()
                for name in exporter.specs:
                    exporter.run_once(name)
                    per_collector.setdefault(name, []).append(exporter.states[name].duration)
                cycle.append(time.perf_counter() - start)
            cycle_s = statistics.median(cycle)
            failed = {n: s.last_error for n, s in exporter.states.items() if s.last_error}
            if failed:
                sys.exit(f"collectors failed: {failed}")
            print("collector seconds (median): " + ", ".join(
                f"{n} {statistics.median(v):.2f}" for n, v in per_collector.items()), file=sys.stderr)
            server, _ = start_server(exporter, *LISTEN)
            url = f"http://{LISTEN[0]}:{LISTEN[1]}/metrics"
            samples = []
            size = 0
            for _ in range(200):
                start = time.perf_counter()
                with urllib.request.urlopen(url, timeout=10) as r:
                    size = len(r.read())
                samples.append(time.perf_counter() - start)
            server.shutdown()
    finally:
        for node in created:
            admin.baremetal.delete_node(node.id, ignore_missing=True)
        remove_tenants(connect("dcctl-lab"))
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[int(len(samples) * 0.99) - 1]
    report([
        Measure("exporter_scrape_p50", p50 * 1000, "ms", "<= 50 ms", p50 <= 0.05,
                "collection cycle (query per scrape)", cycle_s * 1000, cycle_s / p50),
        Measure("exporter_scrape_p99", p99 * 1000, "ms", "<= 50 ms", p99 <= 0.05,
                "collection cycle (query per scrape)", cycle_s * 1000, cycle_s / p99),
        Measure("exporter_rss", rss_mib(), "MiB", "informative", True),
        Measure("exporter_scrape_bytes", size / 1024, "KiB", "informative", True),
    ])


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
