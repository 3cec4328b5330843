"""The dcctl exporter: collectors run in the background, a scrape serves what they last collected.

Peers that query OpenStack on every scrape take 30 s to minutes on a large cloud
and hit Prometheus' scrape timeout. Here each collector runs in its own thread on
its own interval and swaps in a complete list of metric families when it
finishes; a scrape only reads those lists, so it costs the same whatever the
cloud's size. A collector that fails keeps its last samples; its
``dcctl_exporter_collector_last_success_timestamp_seconds`` stops moving, which
is what the "collector stale" alert watches.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("dcctl.exporter")

Families = list[Any]  # prometheus_client.core.Metric instances


@dataclass
class CollectorSpec:
    """A named function that reads one source and returns metric families."""

    name: str
    interval: float
    collect: Callable[[], Families]


@dataclass
class _State:
    families: Families = field(default_factory=list)
    duration: float = 0.0
    last_success: float = 0.0
    last_attempt: float = 0.0
    errors: int = 0
    runs: int = 0
    last_error: str = ""


class Exporter:
    """Runs collectors in background threads; is itself a prometheus_client collector."""

    def __init__(self, collectors: Iterable[CollectorSpec]) -> None:
        self.specs = {spec.name: spec for spec in collectors}
        self.states = {name: _State() for name in self.specs}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- background collection ------------------------------------------------
    def run_once(self, name: str) -> None:
        """One collection of ``name``: swap in its families, or keep the old ones and count an error."""
        spec = self.specs[name]
        start = time.monotonic()
        try:
            families = list(spec.collect())
        except Exception as exc:  # noqa: BLE001 - a failing source must never break the exporter
            with self._lock:
                state = self.states[name]
                state.errors += 1
                state.runs += 1
                state.last_attempt = time.time()
                state.duration = time.monotonic() - start
                state.last_error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            log.warning("collector %s failed (keeping its last samples): %s", name, self.states[name].last_error)
            return
        with self._lock:
            state = self.states[name]
            state.families = families
            state.duration = time.monotonic() - start
            state.last_success = state.last_attempt = time.time()
            state.runs += 1
            state.last_error = ""

    def start(self) -> None:
        for name, spec in self.specs.items():
            thread = threading.Thread(target=self._loop, args=(name, spec.interval), name=f"collector-{name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _loop(self, name: str, interval: float) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once(name)
            self._stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def wait_first_round(self, timeout: float) -> bool:
        """Block until every collector ran once (success or not), or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(s.runs for s in self.states.values()):
                    return True
            time.sleep(0.05)
        return False

    # -- scrape ---------------------------------------------------------------
    def collect(self):
        """What a scrape returns: every collector's last families, plus the exporter's own health."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self._lock:
            snapshot = {name: (list(s.families), s.duration, s.last_success, s.errors)
                        for name, s in self.states.items()}
        yield from merged(f for families, *_ in snapshot.values() for f in families)
        duration = GaugeMetricFamily("dcctl_exporter_collector_duration_seconds",
                                     "How long the collector's last run took.", labels=["collector"])
        success = GaugeMetricFamily("dcctl_exporter_collector_last_success_timestamp_seconds",
                                    "When the collector last succeeded (0: never).", labels=["collector"])
        errors = CounterMetricFamily("dcctl_exporter_collector_errors",
                                     "Collector runs that failed.", labels=["collector"])
        for name, (_families, took, last, errs) in sorted(snapshot.items()):
            duration.add_metric([name], took)
            success.add_metric([name], last)
            errors.add_metric([name], errs)
        yield from (duration, success, errors)

    def describe(self):
        return []  # families vary with the data: let the registry call collect() only on scrape


def merged(families: Iterable[Any]) -> list[Any]:
    """One family per metric name: two collectors may add series to the same metric
    (``dcctl_drift_items`` comes from bare metal and from tenants); the exposition format
    allows each name once."""
    by_name: dict[str, Any] = {}
    for family in families:
        if family.name not in by_name:
            by_name[family.name] = family
            continue
        first = by_name[family.name]
        if first is not family and not getattr(first, "_dcctl_merged", False):
            first = copy.copy(first)  # never grow a collector's stored family
            first.samples = list(first.samples)
            first._dcctl_merged = True
            by_name[family.name] = first
        first.samples.extend(family.samples)
    return list(by_name.values())
