"""`dcctl people import`: 4,000 staff across 20 tenants on the lab's Keystone, then a no-op re-import.

Goal (issue 9): the re-import makes no writes (``met`` is write calls == 0). The first
import's wall time and HTTP calls are reported as measured (the issue names no goal for
them, and there is no peer here). Each tenant is a groups-only request (admins /
operators / supervisors: a domain, its project, three groups and their grants), applied
with `dcctl tenant apply`; each gets 200 staff (5 admins, 120 operators, 75 supervisors,
20 of them also supervisors of operators: 220 memberships), imported with the real
command line (`dcctl people import --yes --json`, one run per tenant, as an engineer
would), which reports its own HTTP call count. The audit log, the apply lock and the
one-time passwords live in a throw-away state directory; the bench tenants (and, with
their domains, their users) are removed at the end.

The lab's Keystone hashes passwords with bcrypt at the minimum cost (``password_hash_rounds
= 4`` in its keystone.conf, see dcctl/lab/services/keystone.py); a production Keystone
(cost 12) spends far longer per new user, so the first import's wall time here is a floor.

    python bench/people.py [--json] [--tenants N] [--staff N] [-k N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
DCCTL = Path(sys.executable).parent / "dcctl"
PREFIX = "bench-p"
CLOUD = "dcctl-lab"


def slug(i: int) -> str:
    return f"{PREFIX}{i:02d}"


def request(i: int) -> str:
    return f"""slug: {slug(i)}
name: {{en: Bench Ministry {i}, ar: وزارة الاختبار {i}}}
kind: ministry
phase: 1
sites: [bgw-dc1]
classification: internal
contacts: [{{name: Bench, email: bench{i}@example.gov.iq}}]
groups:
  - {{name: admins, role: admin}}
  - {{name: operators, role: member}}
  - {{name: supervisors, role: reader}}
"""


def staff_csv(i: int, count: int) -> str:
    lines = ["username,full_name,email,groups"]
    for n in range(count):
        groups = "admins" if n < 5 else "operators" if n < 125 else "supervisors"
        if 5 <= n < 25:
            groups = "operators;supervisors"
        lines.append(f"staff{i:02d}.{n:04d},Staff Member {i}-{n} — موظف,staff{i:02d}.{n:04d}@ministry{i}.gov.iq,{groups}")
    return "\n".join(lines) + "\n"


def dcctl(*args: str, env: dict) -> dict:
    done = subprocess.run([str(DCCTL), "--os-cloud", CLOUD, "--inventory", str(ROOT / "inventory"), "--json", *args],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"dcctl {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout[-2000:]}")
    return json.loads(done.stdout)


def import_all(work: Path, tenants: int, env: dict, concurrency: int) -> tuple[float, int, int, int]:
    """Every tenant's CSV through the command line: (seconds, calls, write calls, actions)."""
    seconds = calls = writes = actions = 0
    for i in range(1, tenants + 1):
        start = time.perf_counter()
        out = dcctl("people", "import", str(work / f"{slug(i)}.csv"), "--tenant", slug(i), "--tenants",
                    str(work / "tenants"), "--password-dir", str(work / "passwords"), "--yes", "-k", str(concurrency), env=env)
        seconds += time.perf_counter() - start
        if not out["ok"]:
            raise SystemExit(f"import of {slug(i)} failed: {[r for r in out['results'] if r['error']][:3]}")
        calls += out["calls"]
        writes += out["write_calls"]
        actions += len(out["plan"]["actions"])
    return seconds, calls, writes, actions


def remove_bench_tenants(env: dict) -> None:
    os.environ.update(env)
    from dcctl.core.cloud import connect
    from dcctl.core.plan import Plan
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy
    from dcctl.tenants.snapshot import read_snapshot

    conn = connect(CLOUD)
    snap = read_snapshot(conn)
    slugs = [d["name"] for d in snap.domains if d["name"].startswith(PREFIX)]
    actions = {a.key: a for s in slugs for a in plan_destroy(snap, s).actions}
    if actions:  # Keystone deletes a domain's users with the domain
        result = apply_tenant_plan(conn, Plan(list(actions.values())), concurrency=8)
        if not result.ok:
            raise SystemExit(f"cleanup failed: {[r.error for r in result.results if r.error][:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--staff", type=int, default=200, help="staff per tenant")
    parser.add_argument("-k", "--concurrency", type=int, default=4, help="Keystone writes in flight per import")
    parser.add_argument("--keep", action="store_true", help="leave the bench tenants and users in the cloud")
    args = parser.parse_args()
    if "OS_CLIENT_CONFIG_FILE" not in os.environ:
        os.environ["OS_CLIENT_CONFIG_FILE"] = str(ROOT / ".lab" / "clouds.yaml")
    total = args.tenants * args.staff
    with tempfile.TemporaryDirectory(prefix="dcctl-bench-people-") as tmp:
        work = Path(tmp)
        (work / "tenants").mkdir()
        for i in range(1, args.tenants + 1):
            (work / "tenants" / f"{slug(i)}.yaml").write_text(request(i))
            (work / f"{slug(i)}.csv").write_text(staff_csv(i, args.staff))
        env = dict(os.environ, DCCTL_STATE_DIR=str(work / "state"))
        env.pop("DCCTL_STATE_URL", None)
        remove_bench_tenants(env)  # leftovers of an interrupted run
        try:
            dcctl("tenant", "apply", "--tenants", str(work / "tenants"), "--yes", env=env)
            seconds, calls, writes, actions = import_all(work, args.tenants, env, args.concurrency)
            again, again_calls, again_writes, again_actions = import_all(work, args.tenants, env, args.concurrency)
        finally:
            if not args.keep:
                remove_bench_tenants(env)
    n = f"{total}"
    report([
        Measure(f"people_import_{n}", seconds, "s", "(none named)", True),
        Measure(f"people_import_{n}_calls", calls, "calls", "(none named)", True),
        Measure(f"people_import_{n}_writes", writes, "calls", f"(none named; {actions} actions)", True),
        Measure(f"people_reimport_{n}", again, "s", "(none named)", True),
        Measure(f"people_reimport_{n}_calls", again_calls, "calls", "(none named)", True),
        Measure(f"people_reimport_{n}_writes", again_writes, "calls", "0 writes", again_writes == 0 and again_actions == 0),
    ])


if __name__ == "__main__":
    main()
