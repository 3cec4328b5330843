"""Shared output for benchmarks: a readable table, or one JSON object per measure with --json."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Measure:
    bench: str
    value: float
    unit: str
    goal: str
    met: bool
    peer: str | None = None
    peer_value: float | None = None
    ratio: float | None = None

    def as_dict(self) -> dict:
        data = {"bench": self.bench, "value": round(self.value, 4), "unit": self.unit}
        if self.peer is not None:
            data |= {"peer": self.peer, "peer_value": round(self.peer_value, 4), "ratio": round(self.ratio, 2)}
        return data | {"goal": self.goal, "met": self.met}


def report(measures: list[Measure]) -> None:
    if "--json" in sys.argv:
        for m in measures:
            print(json.dumps(m.as_dict()))
        return
    print(f"{'bench':28} {'value':>10} {'unit':5} {'peer':28} {'peer value':>10} {'ratio':>7}  goal       met")
    for m in measures:
        peer = m.peer or "-"
        pv = f"{m.peer_value:.3f}" if m.peer_value is not None else "-"
        ratio = f"{m.ratio:.1f}x" if m.ratio is not None else "-"
        print(f"{m.bench:28} {m.value:10.3f} {m.unit:5} {peer:28} {pv:>10} {ratio:>7}  {m.goal:10} {m.met}")


def time_command(argv: list[str], runs: int, env=None) -> float:
    """Median wall time of running ``argv`` to completion (output discarded)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
