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
    blocks: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # name -> (HELP/TYPE, samples)


class Exporter:
    """Runs collectors in background threads; is itself a prometheus_client collector."""

    def __init__(self, collectors: Iterable[CollectorSpec]) -> None:
        self.specs = {spec.name: spec for spec in collectors}
        self.states = {name: _State() for name in self.specs}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._version = 0  # bumped by every successful collection
        self._body: tuple[int, bytes, bytes] = (-1, b"", b"")  # (version, text, gzipped text)

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
        blocks = render_blocks(families)  # text rendered once per collection, not once per scrape
        with self._lock:
            state = self.states[name]
            state.families = families
            state.blocks = blocks
            self._version += 1
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
    def exposition(self, gzipped: bool = False) -> bytes:
        """The scrape body (text format 0.0.4): the collectors' text, joined once per change,
        then the exporter's own health, the only part rendered per scrape."""
        import gzip

        with self._lock:
            version, text, packed = self._body
            if version != self._version:
                text = join_blocks(s.blocks for s in self.states.values())
                packed = gzip.compress(text, compresslevel=1) if text else b""
                self._body = (self._version, text, packed)
            health = self._health()
        own = render_text(health)
        # gzip members may be concatenated (RFC 1952): the cached member, then the health
        return packed + gzip.compress(own, compresslevel=1) if gzipped else text + own

    def _health(self) -> list:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        duration = GaugeMetricFamily("dcctl_exporter_collector_duration_seconds",
                                     "How long the collector's last run took.", labels=["collector"])
        success = GaugeMetricFamily("dcctl_exporter_collector_last_success_timestamp_seconds",
                                    "When the collector last succeeded (0: never).", labels=["collector"])
        errors = CounterMetricFamily("dcctl_exporter_collector_errors",
                                     "Collector runs that failed.", labels=["collector"])
        for name, state in sorted(self.states.items()):
            duration.add_metric([name], state.duration)
            success.add_metric([name], state.last_success)
            errors.add_metric([name], state.errors)
        return [duration, success, errors]

    def collect(self):
        """The same samples as objects, for a prometheus_client registry (``exposition`` serves text)."""
        with self._lock:
            families = [f for state in self.states.values() for f in state.families]
            health = self._health()
        yield from merged(families)
        yield from health

    def describe(self):
        return []  # families vary with the data: let the registry call collect() only on scrape


def merged(families: Iterable[Any]) -> list[Any]:
    """One family per metric name: two collectors may add series to the same metric
    (``dcctl_drift_items`` comes from bare metal and from tenants); the exposition format
    allows each name once. A collector's stored families are never changed."""
    by_name: dict[str, list[Any]] = {}
    for family in families:
        by_name.setdefault(family.name, []).append(family)
    out = []
    for group in by_name.values():
        first = group[0]
        if len(group) > 1:
            first = copy.copy(first)
            first.samples = [sample for family in group for sample in family.samples]
        out.append(first)
    return out


class _Families:
    """The registry interface ``generate_latest`` needs, over a fixed list of families."""

    def __init__(self, families: Iterable[Any]) -> None:
        self.families = list(families)

    def collect(self):
        return iter(self.families)


def render_text(families: Iterable[Any]) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(_Families(families))


def render_blocks(families: Iterable[Any]) -> dict[str, tuple[bytes, bytes]]:
    """Each family as text, split into its HELP/TYPE header and its sample lines."""
    blocks: dict[str, tuple[bytes, bytes]] = {}
    for family in families:
        text = render_text([family])
        lines = text.splitlines(keepends=True)
        header = b"".join(line for line in lines if line.startswith(b"# "))
        blocks[family.name] = (header, b"".join(line for line in lines if not line.startswith(b"# ")))
    return blocks


def join_blocks(per_collector: Iterable[dict[str, tuple[bytes, bytes]]]) -> bytes:
    """Every collector's blocks, one header per metric name (names shared by collectors merged)."""
    joined: dict[str, list[bytes]] = {}
    for blocks in per_collector:
        for name, (header, samples) in blocks.items():
            joined.setdefault(name, [header]).append(samples)
    return b"".join(b"".join(parts) for parts in joined.values())
