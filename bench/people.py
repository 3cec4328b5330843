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


def dcctl(*args: str, env: dict, ok_codes: tuple[int, ...] = (0,)) -> dict:
    done = subprocess.run([str(DCCTL), "--os-cloud", CLOUD, "--inventory", str(ROOT / "inventory"), "--json", *args],
                          capture_output=True, text=True, env=env)
    if done.returncode not in ok_codes:
        raise SystemExit(f"dcctl {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout[-2000:]}")
    return json.loads(done.stdout)


def import_all(work: Path, tenants: int, env: dict, concurrency: int) -> dict[str, float]:
    """Every tenant's CSV through the command line; an import that fails is run again, as an engineer would."""
    totals = {"seconds": 0.0, "calls": 0, "writes": 0, "actions": 0, "reruns": 0}
    for i in range(1, tenants + 1):
        for attempt in range(3):
            start = time.perf_counter()
            out = dcctl("people", "import", str(work / f"{slug(i)}.csv"), "--tenant", slug(i), "--tenants",
                        str(work / "tenants"), "--password-dir", str(work / "passwords"), "--yes",
                        "-k", str(concurrency), env=env, ok_codes=(0, 3))
            totals["seconds"] += time.perf_counter() - start
            totals["calls"] += out["calls"]
            totals["writes"] += out["write_calls"]
            totals["actions"] += len(out["plan"]["actions"]) if attempt == 0 else 0
            if out["ok"]:
                break
            totals["reruns"] += 1
            failed = [r["error"] for r in out["results"] if r["outcome"] == "failed"]
            print(f"import of {slug(i)} failed ({failed[:2]}): running it again", file=sys.stderr)
        else:
            raise SystemExit(f"import of {slug(i)} failed three times")
    return totals


def delete_bench_users(conn) -> None:
    """The bench's users, one DELETE each: a domain delete would drop them all in one long transaction,
    which on the lab's SQLite blocks every other Keystone write and times out."""
    from concurrent.futures import ThreadPoolExecutor

    from dcctl.tenants.snapshot import get_json

    domains = [d["id"] for d in get_json(conn.identity, "/domains")["domains"] if d["name"].startswith(PREFIX)]
    users = [u["id"] for d in domains for u in get_json(conn.identity, f"/users?domain_id={d}")["users"]]

    def delete(user_id: str) -> None:
        for attempt in range(6):
            status = conn.identity.delete(f"/users/{user_id}", raise_exc=False).status_code
            if status in (204, 404):
                return
            time.sleep(0.5 * 2 ** attempt)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(delete, users))


def remove_bench_tenants(env: dict) -> None:
    os.environ.update(env)
    from dcctl.core.cloud import connect
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    conn = connect(CLOUD)
    delete_bench_users(conn)
    for _round in range(4):
        snap = read_snapshot(conn)
        slugs = [d["name"] for d in snap.domains if d["name"].startswith(PREFIX)]
        plan = plan_destroy_many(snap, slugs)
        if not plan.actions:
            return
        result = apply_tenant_plan(conn, plan, concurrency=2)
        if result.ok:
            return
    print(f"cleanup left bench tenants {slugs}: run the bench again (it removes leftovers first)", file=sys.stderr)


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
            first = import_all(work, args.tenants, env, args.concurrency)
            again = import_all(work, args.tenants, env, args.concurrency)
        finally:
            if not args.keep:
                remove_bench_tenants(env)
    n = f"{total}"
    report([
        Measure(f"people_import_{n}", first["seconds"], "s", "(none named)", True),
        Measure(f"people_import_{n}_calls", first["calls"], "calls", "(none named)", True),
        Measure(f"people_import_{n}_writes", first["writes"], "calls", f"(none named; {first['actions']} actions)", True),
        Measure(f"people_import_{n}_reruns", first["reruns"], "runs", "(none named)", True),
        Measure(f"people_reimport_{n}", again["seconds"], "s", "(none named)", True),
        Measure(f"people_reimport_{n}_calls", again["calls"], "calls", "(none named)", True),
        Measure(f"people_reimport_{n}_writes", again["writes"], "calls", "0 writes",
                again["writes"] == 0 and again["actions"] == 0),
    ])


if __name__ == "__main__":
    main()
