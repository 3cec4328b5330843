"""Bare-metal metrics from Ironic: nodes per provision and power state, maintenance, errors,
and the inventory-vs-Ironic drift count (what `dcctl rack drift` reports).

Two list calls with details per cycle (nodes, ports), whatever the number of nodes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

ERROR_STATES = frozenset({"error", "deploy failed", "clean failed", "inspect failed", "rescue failed",
                          "unrescue failed", "adopt failed", "service failed"})


def node_in_error(node) -> bool:
    return (node.provision_state or "") in ERROR_STATES or bool(node.last_error)


def collect_baremetal(cloud: str, inventory_dir: Path) -> list:
    from prometheus_client.core import GaugeMetricFamily

    from dcctl.core.cloud import connect
    from dcctl.inventory import load_inventory
    from dcctl.racks.ironic import read_snapshot

    inv, _ = load_inventory(inventory_dir)
    where = {d.name: (inv.racks[d.rack].site if d.rack in inv.racks else "", d.rack) for d in inv.devices.values()}
    conn = connect(cloud)
    try:
        snap = read_snapshot(conn.baremetal)  # the same two lists `dcctl rack drift` reads
    finally:
        conn.close()
    nodes = snap.nodes
    drift = _inventory_drift(inv, snap)
    states = GaugeMetricFamily("dcctl_baremetal_nodes", "Bare-metal nodes by provision and power state.",
                               labels=["provision_state", "power_state"])
    maintenance = GaugeMetricFamily("dcctl_baremetal_node_maintenance", "1 when the node is in maintenance.",
                                    labels=["site", "rack", "node"])
    in_error = GaugeMetricFamily("dcctl_baremetal_node_error",
                                 "1 when the node is in a failed state or has a last_error.",
                                 labels=["site", "rack", "node"])
    counts = Counter((n.provision_state or "none", n.power_state or "none") for n in nodes)
    for (provision, power), n in sorted(counts.items()):
        states.add_metric([provision, power], n)
    for node in sorted(nodes, key=lambda n: n.name or n.id):
        site, rack = where.get(node.name, ("", ""))
        labels = [site, rack, node.name or node.id]
        maintenance.add_metric(labels, 1 if node.maintenance else 0)
        in_error.add_metric(labels, 1 if node_in_error(node) else 0)
    drift_items = GaugeMetricFamily("dcctl_drift_items", "Differences between the YAML and the cloud.",
                                    labels=["kind"])
    drift_items.add_metric(["baremetal"], len(drift))
    return [states, maintenance, in_error, drift_items]


def _inventory_drift(inv, snap) -> list:
    """What `dcctl rack drift` reports for every rack (nodes missing or extra, fields, MACs)."""
    from dcctl.inventory.model import LifecycleStatus
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.racks.desired import node_specs
    from dcctl.racks.lifecycle import lifecycle_conflicts
    from dcctl.racks.plan import find_drift

    servers = [d for d in inv.servers() if d.rack in inv.racks and d.reached(LifecycleStatus.CABLED)]
    return lifecycle_conflicts(inv, snap, find_drift(node_specs(inv, servers, load_deploy_profile(None)), snap))
