"""The lab's start-up and size: `dcctl lab up` cold (deps installed, no state) and warm, total RSS,
and optionally the full test suite's wall time.

Goals (issue 3): cold <= 90 s, warm <= 5 s, RSS <= 3 GB. Needs the lab's ports free: it starts
its own lab in a temporary state dir and stops it at the end. `--suite` also times `pytest`
(which starts and stops its own lab).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
DCCTL = str(Path(sys.executable).parent / "dcctl")


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([DCCTL, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"dcctl {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return time.perf_counter() - start, out.stdout


def main() -> None:
    probe = subprocess.run([DCCTL, "lab", "status", "--json"], capture_output=True, text=True, cwd=ROOT)
    if probe.returncode == 0 and any(s["state"] == "up" for s in json.loads(probe.stdout)["services"]):
        sys.exit("a lab is running from this checkout: stop it first (dcctl lab down); the lab's ports are fixed")
    measures = []
    with tempfile.TemporaryDirectory(prefix="dcctl-bench-lab-") as state:
        env = dict(os.environ, DCCTL_LAB_DIR=state)
        try:
            cold, _ = run(["lab", "up"], env)
            warm, _ = run(["lab", "up"], env)
            _, status = run(["lab", "status", "--json"], env)
            rss = sum(s.get("rss") or 0 for s in json.loads(status)["services"]) / 2**30
        finally:
            subprocess.run([DCCTL, "lab", "down"], env=env, capture_output=True, cwd=ROOT)
    measures += [Measure("lab_up_cold", cold, "s", "<= 90 s", cold <= 90),
                 Measure("lab_up_warm", warm, "s", "<= 5 s", warm <= 5),
                 Measure("lab_rss", rss, "GiB", "<= 3 GB", rss <= 3)]
    if "--suite" in sys.argv:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        suite = time.perf_counter() - start
        measures.append(Measure("test_suite_wall", suite, "s", "< 90 min (CI limit)", suite < 5400))
    report(measures)


if __name__ == "__main__":
    main()
