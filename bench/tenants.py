"""`dcctl tenant apply` against an Ansible playbook using the openstack.cloud collection, same lab, same run.

Goals (issue 4):
- tenant_apply_50: apply 50 new tenants; >= 10x faster than the peer (wall time; HTTP calls shown too)
- tenant_noop_200: re-run over 200 applied tenants; >= 50x faster, and <= 20 HTTP calls whatever the count

Each bench tenant is what a small ministry asks for: a domain, a project, Nova/Cinder/Neutron
quotas, a routed network with its subnet, a router, a security group with one rule, and an
admin group holding the project's manager role. The peer playbook creates the same objects
with the same names, the way an engineer would write it (bench/peer/openstack-cloud-tenants.yml:
one task per resource type, looping over the tenants on localhost). It runs from its own virtualenv
(~/.cache/dcctl/bench-peer-venv: ansible 14 with openstacksdk 4.10, as openstack.cloud 2.5.0
fails with the openstacksdk 4.22 dcctl uses; ansible 14 needs Python >= 3.12). Its HTTP
calls are counted from openstacksdk's request log (sdk_log_path). dcctl runs as the real
command line (`dcctl tenant apply --yes --json`), which reports its own call count.

Order: peer creates 50 (timed), they are removed; dcctl creates the same 50 (timed); dcctl
creates 150 more (untimed); dcctl re-runs over 200 (timed); the peer re-runs over the same
200 (timed, or over --peer-noop N of them and scaled, marked "extrapolated"); everything
named bench-* is removed at the end. Needs the lab (`dcctl lab up`).

    python bench/tenants.py [--json] [--no-peer] [--peer-noop N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
DCCTL = Path(sys.executable).parent / "dcctl"
PEER_VENV = Path.home() / ".cache" / "dcctl" / "bench-peer-venv"
PEER_PACKAGES = ["ansible>=14,<15", "openstacksdk==4.10.0"]
PEER = "ansible openstack.cloud"
PREFIX = "bench-t"
CLOUD = "dcctl-lab"


# -- the tenants ---------------------------------------------------------------------------

def slug(i: int) -> str:
    return f"{PREFIX}{i:03d}"


def request(i: int) -> str:
    return f"""slug: {slug(i)}
name: {{en: Bench Entity {i}, ar: جهة الاختبار {i}}}
kind: independent-entity
phase: 2
sites: [bgw-dc1]
classification: internal
contacts: [{{name: Bench, email: bench{i}@example.gov.iq}}]
quota:
  compute: {{cores: 16, ram_gb: 64, instances: 8}}
  volume: {{volumes: 10, gigabytes: 1000, snapshots: 10}}
  network: {{networks: 2, subnets: 2, ports: 50, routers: 1, security_groups: 3}}
networks:
  - {{name: apps, cidr: 10.{i // 250}.{i % 250}.0/24, router: true}}
security_groups:
  - name: web
    restrict_egress: true
    rules:
      - {{protocol: tcp, ports: 443, remote: 10.0.0.0/8}}
groups:
  - {{name: admins, role: admin}}
"""


def write_requests(directory: Path, indexes: range) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for i in indexes:
        (directory / f"{slug(i)}.yaml").write_text(request(i))


# -- dcctl ---------------------------------------------------------------------------------

def dcctl_apply(directory: Path) -> tuple[float, int, dict]:
    """Wall seconds and HTTP calls of `dcctl tenant apply --yes --json` on these requests."""
    argv = [str(DCCTL), "--inventory", str(ROOT / "inventory"), "--os-cloud", CLOUD, "--json",
            "tenant", "apply", "--tenants", str(directory), "--yes"]
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=os.environ | {"DCCTL_STATE_DIR": str(directory.parent / "state")})
    elapsed = time.perf_counter() - start
    try:
        data = json.loads(out.stdout)
    except json.JSONDecodeError:
        data = {}
    if out.returncode != 0:
        failed = [r for r in data.get("results", []) if r["outcome"] == "failed"]
        sys.exit(f"dcctl tenant apply failed ({out.returncode}): {failed or out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return elapsed, data["calls"], data


# -- the peer ------------------------------------------------------------------------------

PLAYBOOK = Path(__file__).parent / "peer" / "openstack-cloud-tenants.yml"



def find_python312() -> str | None:
    candidates = [shutil.which(n) for n in ("python3.13", "python3.12")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))
    for candidate in filter(None, candidates):
        out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                             capture_output=True, text=True)
        if out.stdout.strip() == "True":
            return candidate
    return None


def peer_venv() -> Path:
    """The peer's own virtualenv, made on first use."""
    playbook = PEER_VENV / "bin" / "ansible-playbook"
    if playbook.exists():
        return PEER_VENV
    python = find_python312()
    if python is None:
        sys.exit("the peer needs Python >= 3.12 (ansible 14): none found; run with --no-peer")
    print(f"creating the peer's virtualenv {PEER_VENV} (ansible 14, openstacksdk 4.10) ...", file=sys.stderr)
    subprocess.run([python, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES], check=True)
    return PEER_VENV


def peer_run(workdir: Path, indexes: list[int]) -> tuple[float, int]:
    """Wall seconds and HTTP calls of the peer playbook over these tenants."""
    from dcctl.tenants.mapping import description
    from dcctl.tenants.model import Names

    venv = peer_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "tenants.yml").write_text(json.dumps({"tenants": [
        {"slug": slug(i), "cidr": f"10.{i // 250}.{i % 250}.0/24",
         "description": description(Names(en=f"Bench Entity {i}", ar=f"جهة الاختبار {i}"))} for i in indexes]},
        ensure_ascii=False))
    shutil.copy(PLAYBOOK, workdir / "tenants-playbook.yml")
    log = workdir / "sdk.log"
    log.unlink(missing_ok=True)
    env = os.environ | {"ANSIBLE_PYTHON_INTERPRETER": str(venv / "bin" / "python"), "ANSIBLE_NOCOLOR": "1",
                        "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
    argv = [str(venv / "bin" / "ansible-playbook"), "tenants-playbook.yml", "-e", "@tenants.yml",
            "-e", f"sdk_log={log}", "-e", f"cloud={CLOUD}"]
    start = time.perf_counter()
    out = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"the peer playbook failed ({out.returncode}):\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    return elapsed, count_requests(log)


def count_requests(log: Path) -> int:
    """HTTP requests in openstacksdk's debug log: keystoneauth writes one 'REQ: curl' line per request."""
    if not log.exists():
        return 0
    return sum(1 for line in log.open(errors="replace") if "REQ: curl" in line)


# -- cleanup (everything named bench-*, whoever made it) -------------------------------------

def remove_bench_tenants(conn) -> None:
    """Delete every bench-* object: dcctl's destroy for what it made, plain deletes for the peer's."""
    from dcctl.tenants.apply import apply_tenant_plan
    from dcctl.tenants.destroy import plan_destroy_many
    from dcctl.tenants.snapshot import read_snapshot

    snap = read_snapshot(conn)
    plan = plan_destroy_many(snap, [d["name"] for d in snap.domains if d["name"].startswith(PREFIX)])
    if plan.actions:
        apply_tenant_plan(conn, plan, concurrency=8)
    # what the peer made carries no dcctl marker: remove it by name
    snap = read_snapshot(conn)
    ids = {p["id"] for p in snap.projects if p["name"].startswith(PREFIX)}
    net = conn.network
    for router in snap.routers:
        if router["project_id"] in ids:
            for subnet_id in snap.interfaces_of.get(router["id"], {}):
                net.put(f"/routers/{router['id']}/remove_router_interface", json={"subnet_id": subnet_id})
            net.delete(f"/routers/{router['id']}")
    for network in snap.networks:
        if network["project_id"] in ids:
            net.delete(f"/networks/{network['id']}")
    for group in snap.security_groups:
        if group["project_id"] in ids:
            net.delete(f"/security-groups/{group['id']}")
    for pid in ids:
        conn.compute.delete(f"/os-quota-sets/{pid}")
        conn.block_storage.delete(f"/os-quota-sets/{pid}")
        net.delete(f"/quotas/{pid}")
    for group in snap.groups:
        if group["name"].startswith(PREFIX):
            conn.identity.delete(f"/groups/{group['id']}")
    for project in sorted((p for p in snap.projects if p["id"] in ids), key=lambda p: p["parent_id"] in
                          {d["id"] for d in snap.domains}):
        conn.identity.delete(f"/projects/{project['id']}")
    for domain in snap.domains:
        if domain["name"].startswith(PREFIX):
            conn.identity.patch(f"/domains/{domain['id']}", json={"domain": {"enabled": False}})
            conn.identity.delete(f"/domains/{domain['id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-peer", action="store_true", help="dcctl's figures only (no ratios)")
    parser.add_argument("--peer-noop", type=int, default=200, metavar="N",
                        help="run the peer's no-op pass over N of the 200 tenants and scale [200: all]")
    parser.add_argument("--keep", action="store_true", help="leave the 200 bench tenants in the cloud")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from dcctl.lab.paths import LabPaths

    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(LabPaths.default().clouds_yaml))
    from dcctl.core.cloud import connect

    conn = connect(CLOUD)
    remove_bench_tenants(conn)
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="dcctl-bench-tenants-") as tmp:
        work = Path(tmp)
        first50 = work / "first50"
        write_requests(first50, range(1, 51))
        peer_apply = None
        if not args.no_peer:
            peer_apply = peer_run(work / "peer", list(range(1, 51)))
            remove_bench_tenants(conn)
        ours_apply = dcctl_apply(first50)
        all200 = work / "all200"
        write_requests(all200, range(1, 201))
        setup = dcctl_apply(all200)  # 150 more, untimed
        if not setup[2]["ok"]:
            sys.exit("setting up 200 tenants failed")
        ours_noop = dcctl_apply(all200)
        if ours_noop[2]["plan"]["actions"]:
            sys.exit(f"the re-run was not a no-op: {ours_noop[2]['plan']['summary']}")
        peer_noop = None
        if not args.no_peer:
            n = max(1, min(200, args.peer_noop))
            seconds, calls = peer_run(work / "peer-noop", list(range(1, n + 1)))
            peer_noop = (seconds * 200 / n, calls * 200 / n, n)

        label = PEER if peer_noop is None or peer_noop[2] == 200 else f"{PEER} (extrapolated from {peer_noop[2]})"
        measures.append(_measure("tenant_apply_50", ours_apply[0], "s", ">= 10x", 10, peer_apply and peer_apply[0]))
        measures.append(_measure("tenant_apply_50_calls", ours_apply[1], "calls", "fewer", 1,
                                 peer_apply and peer_apply[1]))
        measures.append(_measure("tenant_noop_200", ours_noop[0], "s", ">= 50x", 50, peer_noop and peer_noop[0],
                                 label))
        measures.append(Measure("tenant_noop_200_calls", ours_noop[1], "calls", "<= 20", ours_noop[1] <= 20,
                                *((label, peer_noop[1], peer_noop[1] / ours_noop[1]) if peer_noop else ())))
        if not args.keep:
            remove_bench_tenants(conn)
    report(measures)


def _measure(name: str, ours: float, unit: str, goal: str, factor: float, peer: float | None,
             label: str = PEER) -> Measure:
    """``met`` from the goal when there is a peer figure; without one, not met (no ratio to judge)."""
    if peer is None:
        return Measure(name, ours, unit, goal + " (no peer run)", False)
    ratio = peer / ours if ours else float("inf")
    return Measure(name, ours, unit, goal, ratio >= factor, label, peer, ratio)


if __name__ == "__main__":
    main()
