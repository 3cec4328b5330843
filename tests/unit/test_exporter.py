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
