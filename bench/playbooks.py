"""`dcctl playbook run site` against plain `ansible-playbook` on the same lab hosts, same run.

Goal (issue 6): dcctl's overhead (inventory built in memory, ansible-runner, live events,
run records) <= 10 % of the same playbook through `ansible-playbook` with the equivalent
static inventory (`dcctl inventory export --format ansible`).

Both sides use playbooks/ansible.cfg, the lab's known_hosts and key with the same SSH
options, and the same persistent-connection directory; runs alternate (dcctl, peer, dcctl,
...) after one warm-up, so both find the hosts configured (no-op runs) and SSH masters warm.
Needs the lab's rack hosts (`dcctl lab up`).

    python bench/playbooks.py [--rounds N] [--limit SPEC] [--json]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Measure, report

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOAL = 0.10


def lab_trust() -> tuple[Path, Path]:
    """The lab's known_hosts and client key; exits when the rack hosts are not running."""
    sys.path.insert(0, str(ROOT))
    from dcctl.lab import process
    from dcctl.lab.paths import LabPaths
    from dcctl.lab.service import Lab
    from dcctl.lab.services.hosts import RackHosts

    lab = Lab(paths=LabPaths.default(), inventory_dir=ROOT / "inventory")
    if process.pid_of(lab.paths, "hosts") is None:
        sys.exit("the lab's rack hosts are not running: dcctl lab up")
    facts = RackHosts().facts(lab)
    return Path(facts["known_hosts"]), Path(facts["ssh_key"])


def timed(argv: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process tree on this side of SSH (the controller:
    dcctl or ansible-playbook and their workers; steadier than wall time on a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{' '.join(argv[:4])} ... exited {out.returncode}:\n{out.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each side [3]")
    parser.add_argument("--limit", help="dcctl --limit (the peer gets the same hosts)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from dcctl.inventory import load_inventory
    from dcctl.inventory.export import ansible_inventory
    from dcctl.playbooks.targets import SshTrust, resolve_limit

    known_hosts, key = lab_trust()
    trust = SshTrust(known_hosts=known_hosts, key=key)
    inv, _ = load_inventory(ROOT / "inventory")
    limit = resolve_limit(args.limit, inv, ansible_inventory(inv)) if args.limit else None

    with tempfile.TemporaryDirectory(prefix="dcctl-bench-playbooks-") as tmp:
        tmp_path = Path(tmp)
        static = tmp_path / "inventory.yml"
        subprocess.run([str(BIN / "dcctl"), "inventory", "export", "--format", "ansible", "-o", str(static)],
                       cwd=ROOT, check=True, capture_output=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "DCCTL_"))}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        ours_env = env | {"DCCTL_STATE_DIR": str(tmp_path / "state"), "DCCTL_KNOWN_HOSTS": str(known_hosts),
                          "DCCTL_SSH_KEY": str(key)}
        peer_env = env | {
            "ANSIBLE_PRIVATE_KEY_FILE": str(key),
            "ANSIBLE_SSH_COMMON_ARGS": trust.common_args(),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(trust.control_path_dir(Path.home())),
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_NOCOLOR": "1",
        }
        ours_argv = [str(BIN / "dcctl"), "playbook", "run", "site"] + (["--limit", args.limit] if args.limit else [])
        peer_argv = [str(BIN / "ansible-playbook"), "-i", str(static), "site.yml"] + \
            (["--limit", limit.pattern] if limit else [])

        timed(ours_argv, ours_env, ROOT)  # warm-up: hosts configured, SSH masters up, page cache warm
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(timed(ours_argv, ours_env, ROOT))
            theirs.append(timed(peer_argv, peer_env, ROOT / "playbooks"))

    mine, peer = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in theirs)
    mine_cpu, peer_cpu = statistics.median(c for _, c in ours), statistics.median(c for _, c in theirs)
    overhead = mine / peer - 1
    hosts = len(limit.hosts) if limit else len(ansible_inventory(inv)["_meta"]["hostvars"])
    name = f"playbook_site_{hosts}_hosts"
    report([
        Measure(name, mine, "s", "overhead <= 10 %", overhead <= GOAL, "ansible-playbook (static inventory)",
                peer, mine / peer),
        Measure("playbook_dcctl_overhead", overhead * 100, "%", "<= 10 %", overhead <= GOAL),
        Measure(f"{name}_controller_cpu", mine_cpu, "s", "overhead <= 10 %", mine_cpu / peer_cpu - 1 <= GOAL,
                "ansible-playbook (static inventory)", peer_cpu, mine_cpu / peer_cpu),
    ])


if __name__ == "__main__":
    main()
