"""The exporter serves the last collected samples; a failing collector never breaks a scrape."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from dcctl.monitoring.exporter import CollectorSpec, Exporter


def family(value: float):
    g = GaugeMetricFamily("dcctl_test_value", "A test value.", labels=["site"])
    g.add_metric(["bgw-dc1"], value)
    return [g]


def scrape(exporter: Exporter) -> str:
    """What `dcctl exporter serve` answers on /metrics."""
    return exporter.exposition().decode()


def registry_text(exporter: Exporter) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(exporter)
    return generate_latest(registry).decode()


def test_a_scrape_returns_what_the_collector_last_produced():
    values = iter([1.0, 2.0])
    exp = Exporter([CollectorSpec("test", 60, lambda: family(next(values)))])
    exp.run_once("test")
    assert 'dcctl_test_value{site="bgw-dc1"} 1.0' in scrape(exp)
    exp.run_once("test")
    assert 'dcctl_test_value{site="bgw-dc1"} 2.0' in scrape(exp)


def test_a_failing_collector_keeps_its_last_samples_and_goes_stale():
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] > 1:
            raise ConnectionError("keystone is down")
        return family(7.0)

    exp = Exporter([CollectorSpec("flaky", 60, flaky)])
    exp.run_once("flaky")
    first_success = exp.states["flaky"].last_success
    time.sleep(0.01)
    exp.run_once("flaky")
    text = scrape(exp)
    assert 'dcctl_test_value{site="bgw-dc1"} 7.0' in text
    assert 'dcctl_exporter_collector_errors_total{collector="flaky"} 1.0' in text
    assert exp.states["flaky"].last_success == first_success
    assert exp.states["flaky"].last_error == "keystone is down"


def test_a_scrape_does_not_wait_for_a_slow_collector():
    def slow():
        time.sleep(1.0)
        return family(1.0)

    exp = Exporter([CollectorSpec("slow", 60, slow)])
    exp.start()
    try:
        start = time.monotonic()
        text = scrape(exp)
        assert time.monotonic() - start < 0.2
        assert 'dcctl_exporter_collector_last_success_timestamp_seconds{collector="slow"} 0.0' in text
        assert exp.wait_first_round(5)
        assert 'dcctl_test_value{site="bgw-dc1"} 1.0' in scrape(exp)
    finally:
        exp.stop()


def test_the_inventory_collector_describes_racks_units_and_power():
    from pathlib import Path

    from dcctl.monitoring.collectors.inventory import collect_inventory

    exp = Exporter([CollectorSpec("inventory", 60, lambda: collect_inventory(Path(__file__).parents[2] / "inventory"))])
    exp.run_once("inventory")
    text = scrape(exp)
    assert 'dcctl_inventory_racks{site="bgw-dc1"} 4.0' in text
    assert 'dcctl_rack_height_units{hall="hall-a",rack="bgw-a01",site="bgw-dc1"} 42.0' in text
    assert 'dcctl_rack_power_budget_watts{hall="hall-b",rack="bgw-b01",site="bgw-dc1"} 6000.0' in text
    assert 'dcctl_inventory_problems{severity="error"} 0.0' in text


def test_the_inventory_collector_publishes_the_build_out_per_hall_and_status():
    from pathlib import Path

    from dcctl.monitoring.collectors.inventory import collect_inventory

    exp = Exporter([CollectorSpec("inventory", 60, lambda: collect_inventory(Path(__file__).parents[2] / "inventory"))])
    exp.run_once("inventory")
    text = scrape(exp)
    assert 'dcctl_buildout_devices{hall="hall-a",site="bgw-dc1",status="in-service"} 6.0' in text


def test_the_playbook_collector_publishes_each_playbooks_last_real_run(tmp_path, monkeypatch):
    from dcctl.monitoring.collectors.playbooks import collect_playbooks
    from dcctl.playbooks.recap import RunRecap
    from dcctl.playbooks.runs import RunSummary, save

    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    recap = RunRecap.from_dict({})
    save(RunSummary("20261125T100000-site-aaaa", "site", None, "eng", "2026-11-25T10:00:00+00:00", 42.0,
                    recap=recap, rc=2, error="bgw-cmp02 unreachable"))
    save(RunSummary("20261125T110000-site-bbbb", "site", None, "eng", "2026-11-25T11:00:00+00:00", 3.0,
                    check=True, recap=recap, rc=0))  # a --check run is not the last real run
    exp = Exporter([CollectorSpec("playbooks", 60, collect_playbooks)])
    exp.run_once("playbooks")
    text = scrape(exp)
    assert 'dcctl_playbook_last_run_success{playbook="site"} 0.0' in text
    assert 'dcctl_playbook_last_run_duration_seconds{playbook="site"} 42.0' in text
    assert 'dcctl_playbook_last_run_timestamp_seconds{playbook="site"} 1.7956008e+09' in text


def drift(kind: str, n: int):
    g = GaugeMetricFamily("dcctl_drift_items", "Differences between the YAML and the cloud.", labels=["kind"])
    g.add_metric([kind], n)
    return [g] + family(n)


def test_the_cached_text_is_what_prometheus_client_would_render_with_shared_names_merged():
    exp = Exporter([CollectorSpec("baremetal", 60, lambda: drift("baremetal", 2)),
                    CollectorSpec("tenants", 60, lambda: drift("tenant", 3))])
    for name in exp.specs:
        exp.run_once(name)
    text = scrape(exp)
    assert text.count("# TYPE dcctl_drift_items gauge") == 1 and text.count("# TYPE dcctl_test_value") == 1
    assert 'dcctl_drift_items{kind="baremetal"} 2.0' in text and 'dcctl_drift_items{kind="tenant"} 3.0' in text
    strip = lambda t: sorted(line for line in t.splitlines() if "collector_duration" not in line)  # noqa: E731
    assert strip(text) == strip(registry_text(exp))


def test_the_gzipped_scrape_decodes_to_the_same_text_and_the_cache_follows_new_collections():
    import gzip

    values = iter([1.0, 2.0])
    exp = Exporter([CollectorSpec("test", 60, lambda: family(next(values)))])
    exp.run_once("test")
    assert gzip.decompress(exp.exposition(gzipped=True)).decode() == scrape(exp)
    exp.run_once("test")
    assert 'dcctl_test_value{site="bgw-dc1"} 2.0' in gzip.decompress(exp.exposition(gzipped=True)).decode()


def test_the_http_server_answers_metrics_with_the_text_format_and_gzip_when_asked():
    import gzip
    import urllib.request

    from dcctl.monitoring.serve import start_server

    exp = Exporter([CollectorSpec("test", 60, lambda: family(7.0))])
    exp.run_once("test")
    server, _thread = start_server(exp, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert 'dcctl_test_value{site="bgw-dc1"} 7.0' in r.read().decode()
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            assert 'dcctl_test_value{site="bgw-dc1"} 7.0' in gzip.decompress(r.read()).decode()
    finally:
        server.shutdown()
