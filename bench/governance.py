"""What governance costs: the audit log's overhead on an apply, and an apply through a flaky API.

Measures (issue 8, "Numbers to report"):
- audit_overhead_apply_50: 50 new tenants applied with the audit trail dcctl always keeps
  (the JSON-lines record and the hash-chained SQLite audit log, `dcctl tenant apply`'s
  recorder) vs the same apply with a recorder that keeps nothing (the executor's
  NullRecorder: the bench's switch; the product has no way to turn the audit off).
  Goal <= 5 %. Each round applies both ways back to back (alternating which goes first);
  the overhead is the median over rounds of the with/without ratio. Also reported: the
  time spent in the recorder as a share of the apply (the executor writes a record after
  starting what the finished action unblocks, so this time overlaps the API calls; on a
  busy machine it includes waiting for the threads in flight) and the time per record.
- fault_apply_50: the same 50 tenants applied through fault proxies (tests/faultproxy.py)
  in front of Keystone, Neutron, Nova and Cinder failing 10 % of calls (503, dropped
  connection, answer held back beyond the client timeout after the service acted), vs
  through the same proxies without faults. Reported: wall time of each, actions retried,
  extra attempts, extra HTTP requests; met when the faulty apply finished, a re-plan is a
  no-op and no object exists twice.

Each bench tenant is bench/tenants.py's small ministry (domain, project, quotas, a
routed network, a security group, an admin group), named bench-g*. Applied in-process,
as `dcctl tenant apply` does (concurrency 8, Neutron writes one at a time). Needs the
lab (`dcctl lab up`); everything named bench-g* is removed before and after.

    python bench/governance.py [--json] [--rounds N] [--share 0.1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench-g"
COUNT = 50
CLIENT_TIMEOUT = 4.0  # api_timeout of the faulty cloud
HELD_BACK = 5.0  # a "delay" fault answers after the client gave up


def write_requests(directory: Path) -> None:
    """bench/tenants.py's requests under this bench's own prefix (other benches may run)."""
    import tenants as tenant_bench

    directory.mkdir(parents=True, exist_ok=True)
    for i in range(1, COUNT + 1):
        text = tenant_bench.request(i).replace(tenant_bench.PREFIX, PREFIX)
        (directory / f"{PREFIX}{i:03d}.yaml").write_text(text)


def remove(conn) -> None:
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    for _ in range(3):  # a loaded lab may fail a delete; the next round re-reads and converges
        snap = read_snapshot(conn)
        plan = plan_destroy_many(snap, [d["name"] for d in snap.domains if d["name"].startswith(PREFIX)])
        if plan.is_empty or apply_tenant_plan(conn, plan, concurrency=8).ok:
            return
    sys.exit(f"could not remove the {PREFIX}* tenants")


class Timed:
    """A recorder wrapper that adds up the time spent recording."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds, self.count = inner, 0.0, 0

    def record(self, result) -> None:
        start = time.perf_counter()
        self.inner.record(result)
        self.seconds += time.perf_counter() - start
        self.count += 1


def apply_once(conn, tenants, recorder) -> tuple[float, object, int]:
    """Plan from live state and apply: wall seconds of the apply, its report, HTTP calls."""
    from dcctl.tenants import plan_live
    from dcctl.tenants.apply import apply_tenant_plan

    plan, problems, _ = plan_live(conn, tenants)
    if problems:
        sys.exit(f"the bench requests do not plan: {problems[:3]}")
    conn.dcctl_calls.reset()
    start = time.perf_counter()
    result = apply_tenant_plan(conn, plan, recorder=recorder)
    elapsed = time.perf_counter() - start
    if not result.ok:
        failed = [(r.action.key, r.error) for r in result.results if r.error][:3]
        sys.exit(f"apply failed: {failed}")
    return elapsed, result, conn.dcctl_calls.total


def audit_overhead(conn, tenants, rounds: int) -> list[Measure]:
    from dcctl.core.executor import NullRecorder
    from dcctl.audit.recorder import AuditRecorder

    walls: dict[str, list[float]] = {"audit": [], "none": []}
    shares: list[float] = []
    per_record: list[float] = []
    for i in range(rounds):
        for mode in (("audit", "none") if i % 2 == 0 else ("none", "audit")):
            remove(conn)
            timed = Timed(AuditRecorder("tenant", "dcctl-lab") if mode == "audit" else NullRecorder())
            seconds, _, _ = apply_once(conn, tenants, timed)
            walls[mode].append(seconds)
            if mode == "audit":
                shares.append(timed.seconds / seconds)
                per_record.append(timed.seconds / max(1, timed.count) * 1000)
            print(f"round {i + 1} {mode:5}: {seconds:.1f}s, {timed.count} records in {timed.seconds:.2f}s",
                  file=sys.stderr)
    remove(conn)
    # each round's two applies ran back to back on the same lab: compare within rounds
    ratio = statistics.median(a / n for a, n in zip(walls["audit"], walls["none"]))
    overhead = (ratio - 1) * 100
    return [
        Measure("audit_overhead_apply_50", overhead, "%", "<= 5%", overhead <= 5, "no audit (NullRecorder)",
                statistics.median(walls["none"]), ratio),
        Measure("audit_apply_50_with_audit", statistics.median(walls["audit"]), "s", "report", True),
        Measure("audit_recorder_share", statistics.median(shares) * 100, "%", "report", True),
        Measure("audit_record_ms", statistics.median(per_record), "ms", "report", True),
    ]


def faulty_cloud(work: Path, share: float):
    """Start proxies before the lab's APIs; returns (plans, proxies) with OS_CLIENT_CONFIG_FILE set."""
    sys.path.insert(0, str(ROOT / "tests"))
    import yaml
    from faultproxy import FaultPlan, FaultProxy, clouds_yaml

    from dcctl.lab.paths import LabPaths
    from dcctl.lab.service import PORTS

    clouds = yaml.safe_load(LabPaths.default().clouds_yaml.read_text())["clouds"]
    upstream = {"identity": PORTS["keystone"], "network": PORTS["neutron"], "compute": PORTS["nova"],
                "volume": PORTS["cinder"]}
    plans = {s: FaultPlan(share=0.0, delay=HELD_BACK, seed=21 + i) for i, s in enumerate(upstream)}
    proxies = [FaultProxy(f"http://127.0.0.1:{port}", plans[s]) for s, port in upstream.items()]
    for proxy in proxies:
        proxy.__enter__()
    entry = clouds_yaml(clouds["dcctl-lab"], dict(zip(upstream, proxies)))
    entry["dcctl-lab-faulty"]["api_timeout"] = CLIENT_TIMEOUT
    path = work / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {**clouds, **entry}}))
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    return plans, proxies


def duplicates(conn) -> int:
    """Objects of the bench tenants that exist twice under one name (there must be none)."""
    from dcctl.tenants.snapshot import read_snapshot

    snap = read_snapshot(conn)
    projects = {p["id"] for p in snap.projects if p["name"].startswith(PREFIX)}
    seen: Counter = Counter()
    for kind, items in (("network", snap.networks), ("router", snap.routers), ("sg", snap.security_groups)):
        seen.update((kind, i["project_id"], i["name"]) for i in items if i["project_id"] in projects)
    seen.update(("subnet", s["network_id"], s["name"]) for s in snap.subnets
                if s["project_id"] in projects)
    return sum(n - 1 for n in seen.values() if n > 1)


def fault_apply(tenants, work: Path, share: float) -> list[Measure]:
    from dcctl.core.cloud import connect
    from dcctl.tenants import plan_live
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.audit.recorder import AuditRecorder

    plans, proxies = faulty_cloud(work, share)
    try:
        admin = connect("dcctl-lab")
        remove(admin)
        clean_seconds, _, _ = apply_once(connect("dcctl-lab-faulty"), tenants,
                                         AuditRecorder("tenant", "dcctl-lab-faulty"))
        clean_requests = sum(p.counts.get("requests", 0) for p in plans.values())
        remove(admin)
        for p in plans.values():
            p.counts.clear()
            p.share = share
        conn = connect("dcctl-lab-faulty")
        plan, _, _ = plan_live(conn, tenants)
        start = time.perf_counter()
        result = apply_tenant_plan(conn, plan, recorder=AuditRecorder("tenant", "dcctl-lab-faulty"))
        faulty_seconds = time.perf_counter() - start
        for p in plans.values():
            p.share = 0.0
        requests = sum(p.counts.get("requests", 0) for p in plans.values())
        faults = sum(p.counts.get(k, 0) for p in plans.values() for k in ("503", "drop", "delay"))
        for failed in result.results:
            if failed.error:
                print(f"failed under faults: {failed.action.key}: {failed.error}", file=sys.stderr)
        retried = [r for r in result.results if r.attempts > 1]
        extra_attempts = sum(r.attempts - 1 for r in result.results if r.attempts > 1)
        replan, _, _ = plan_live(admin, tenants)
        dupes = duplicates(admin)
        converged = result.ok and replan.is_empty and dupes == 0
        print(f"faults: {faults} of {requests} requests ({dict(Counter({k: sum(p.counts.get(k, 0) for p in plans.values()) for k in ('503', 'drop', 'delay')}))}); "
              f"{result.summary()} re-plan: {replan.summary()} duplicates: {dupes}", file=sys.stderr)
        remove(admin)
    finally:
        for proxy in proxies:
            proxy.__exit__(None, None, None)
    return [
        Measure("fault_apply_50_wall", faulty_seconds, "s", "finishes, converges", converged,
                "no faults (same proxies)", clean_seconds, faulty_seconds / clean_seconds),
        Measure("fault_apply_50_faults_injected", faults / requests * 100, "%", f"~{share:.0%} (drawn)",
                faults / requests >= share * 0.8),
        Measure("fault_apply_50_actions_retried", len(retried), "acts", "report", True),
        Measure("fault_apply_50_extra_attempts", extra_attempts, "tries", "report", True),
        Measure("fault_apply_50_requests", requests, "calls", "report", True, "no faults (same proxies)",
                clean_requests, requests / max(1, clean_requests)),
        Measure("fault_apply_50_duplicates", dupes, "objs", "0", dupes == 0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of with/without audit (alternating order)")
    parser.add_argument("--share", type=float, default=0.10, help="share of calls that fail in the fault run")
    parser.add_argument("--skip-faults", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from dcctl.lab.paths import LabPaths

    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(LabPaths.default().clouds_yaml))
    from dcctl.core.cloud import connect
    from dcctl.tenants import load_tenants

    with tempfile.TemporaryDirectory(prefix="dcctl-bench-governance-") as tmp:
        work = Path(tmp)
        os.environ["DCCTL_STATE_DIR"] = str(work / "state")  # the bench's audit log, not the user's
        os.environ["DCCTL_STATE_URL"] = f"sqlite:///{work / 'state' / 'audit.sqlite'}"
        write_requests(work / "tenants")
        tenants, problems = load_tenants(work / "tenants", ROOT / "inventory")
        if problems:
            sys.exit(f"bench requests invalid: {problems[:3]}")
        conn = connect("dcctl-lab")
        measures = audit_overhead(conn, tenants, args.rounds)
        if not args.skip_faults:
            measures += fault_apply(tenants, work, args.share)
    report(measures)


if __name__ == "__main__":
    main()
