"""Bare-metal metrics from Ironic: nodes per provision and power state, maintenance, errors.

One list call with details per cycle, whatever the number of nodes.
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

    inv, _ = load_inventory(inventory_dir)
    where = {d.name: (inv.racks[d.rack].site if d.rack in inv.racks else "", d.rack) for d in inv.devices.values()}
    conn = connect(cloud)
    try:
        nodes = list(conn.baremetal.nodes(details=True))
    finally:
        conn.close()
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
        maintenance.add_metric(labels, 1 if node.is_maintenance else 0)
        in_error.add_metric(labels, 1 if node_in_error(node) else 0)
    return [states, maintenance, in_error]
