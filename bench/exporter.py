"""Scrape latency served from memory vs the time one collection cycle takes.

The peers (openstack-exporter style) query the cloud on every scrape, so their
scrape costs a whole collection cycle. Load: a generated inventory of 10,000
devices and 100 bare-metal nodes enrolled in the lab's Ironic (created and
deleted by this script). Tenant quotas join when the tenants collector lands.

Goal (issue 7): scrape p50 / p99 <= 50 ms. Needs the lab up (`dcctl lab up`).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchlib import Measure, report
from inventory_validate import generate

NODES = 100
LISTEN = ("127.0.0.1", 9189)  # not the lab's exporter port: the lab's Prometheus scrapes 9180


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import openstack
    from prometheus_client import CollectorRegistry, start_http_server

    from dcctl.lab.paths import LabPaths
    from dcctl.monitoring.serve import build_exporter

    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(LabPaths.default().clouds_yaml))
    admin = openstack.connect(cloud="dcctl-lab")
    created = []
    try:
        for i in range(NODES):
            created.append(admin.baremetal.create_node(name=f"bench-node-{i:03d}", driver="redfish",
                                                       driver_info={"redfish_address": "https://127.0.0.1:1",
                                                                    "redfish_system_id": f"/redfish/v1/Systems/{i}"}))
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            exporter = build_exporter(Path(tmp), "dcctl-lab-reader", {})
            cycle = []
            for _ in range(3):
                start = time.perf_counter()
                for name in exporter.specs:
                    exporter.run_once(name)
                cycle.append(time.perf_counter() - start)
            cycle_s = statistics.median(cycle)
            registry = CollectorRegistry(auto_describe=False)
            registry.register(exporter)
            server, _ = start_http_server(LISTEN[1], addr=LISTEN[0], registry=registry)
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
