"""The e-service catalogue, probed: availability, latency, HTTP status and certificate expiry.

Every run re-reads the catalogue (an edited ``services:`` list is picked up without a
restart) and probes every endpoint concurrently, so one run takes about the slowest
service's timeout however many services there are. A catalogue with errors fails the
run: the last samples stay and the collector goes stale (``ExporterCollectorStale``).
"""

from __future__ import annotations

from pathlib import Path

LABELS = ["service", "tenant", "category", "criticality"]


def collect_services(tenants_dir: Path) -> list:
    from dcctl.core.problems import errors_in
    from dcctl.services import load_catalogue
    from dcctl.services.probe import probe_services

    services, problems = load_catalogue(Path(tenants_dir))
    errors = errors_in(problems)
    if errors:
        raise ValueError(f"the service catalogue has {len(errors)} error(s), first: {errors[0]}")
    return service_families(probe_services(services))


def service_families(results) -> list:
    """Metric families from probe results (pure: what a scrape shows for these results)."""
    from prometheus_client.core import GaugeMetricFamily

    up = GaugeMetricFamily("dcctl_service_up", "1 when every endpoint of the service answered as expected.",
                           labels=LABELS)
    seconds = GaugeMetricFamily("dcctl_service_probe_duration_seconds",
                                "How long the slowest endpoint of the service took to answer (or to fail).",
                                labels=LABELS)
    info = GaugeMetricFamily("dcctl_service_info", "A catalogued service: its names, owner and protocol.",
                             labels=[*LABELS, "directorate", "protocol", "name", "name_ar", "tenant_name"])
    endpoint_up = GaugeMetricFamily("dcctl_service_endpoint_up", "1 when the endpoint answered as expected.",
                                    labels=[*LABELS, "endpoint"])
    status = GaugeMetricFamily("dcctl_service_http_status", "HTTP status code of the endpoint's last answer.",
                               labels=[*LABELS, "endpoint"])
    expiry = GaugeMetricFamily("dcctl_service_certificate_expiry_timestamp_seconds",
                               "When the endpoint's TLS certificate expires (UNIX time), trusted or not.",
                               labels=[*LABELS, "endpoint"])
    for result in results:
        s = result.service
        base = [s.slug, s.tenant, s.category, s.criticality]
        up.add_metric(base, 1 if result.up else 0)
        seconds.add_metric(base, result.seconds)
        info.add_metric([*base, s.directorate, s.protocol, s.name_en, s.name_ar, s.tenant_name], 1)
        for e in result.endpoints:
            endpoint_up.add_metric([*base, e.endpoint], 1 if e.up else 0)
            if e.status is not None:
                status.add_metric([*base, e.endpoint], e.status)
            if e.cert_not_after is not None:
                expiry.add_metric([*base, e.endpoint], e.cert_not_after)
    return [up, seconds, info, endpoint_up, status, expiry]
