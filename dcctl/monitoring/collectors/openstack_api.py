"""OpenStack API health: is each catalog endpoint up, and how fast does it answer.

One token, one catalog read, then one unauthenticated GET of each endpoint's root
(version discovery): cheap, and it is what a user's client does first.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit


def collect_api_health(cloud: str, timeout: float = 5.0) -> list:
    import requests
    from prometheus_client.core import GaugeMetricFamily

    from dcctl.core.cloud import connect

    up = GaugeMetricFamily("dcctl_openstack_api_up", "1 when the endpoint answered, else 0.",
                           labels=["service", "type", "region", "interface"])
    seconds = GaugeMetricFamily("dcctl_openstack_api_response_seconds",
                                "Time the endpoint took to answer its version document.",
                                labels=["service", "type", "region", "interface"])
    conn = connect(cloud)
    try:
        start = time.monotonic()
        try:
            catalog = conn.session.auth.get_access(conn.session).service_catalog.catalog
            auth_ok = 1
        except Exception:  # noqa: BLE001 - Keystone down is a reading, not a collector failure
            catalog, auth_ok = [], 0
        auth_took = time.monotonic() - start
        keystone_seen = False
        for service in catalog:
            for endpoint in service.get("endpoints", []):
                if endpoint.get("interface") != "public":
                    continue
                labels = [service.get("name", ""), service.get("type", ""), endpoint.get("region_id")
                          or endpoint.get("region", ""), "public"]
                if service.get("type") == "identity":
                    keystone_seen = True
                    up.add_metric(labels, auth_ok)
                    seconds.add_metric(labels, auth_took)
                    continue
                ok, took = _probe(requests, endpoint["url"], timeout)
                up.add_metric(labels, ok)
                seconds.add_metric(labels, took)
        if not keystone_seen:
            up.add_metric(["keystone", "identity", "", "public"], auth_ok)
            seconds.add_metric(["keystone", "identity", "", "public"], auth_took)
    finally:
        conn.close()
    return [up, seconds]


def _probe(requests, url: str, timeout: float) -> tuple[int, float]:
    parts = urlsplit(url.replace("%(project_id)s", "").replace("$(project_id)s", ""))
    root = f"{parts.scheme}://{parts.netloc}/"
    start = time.monotonic()
    try:
        response = requests.get(root, timeout=timeout)
        ok = 1 if response.status_code < 500 else 0
    except requests.RequestException:
        ok = 0
    return ok, time.monotonic() - start
