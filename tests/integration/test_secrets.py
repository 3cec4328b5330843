"""No secret known to the lab appears in anything dcctl writes or prints, after a demo-like run.

The run (scripts/demo.sh, with debug logging on, the worst case for leaks): tenant
apply / show / audit log; rack enroll, provision, health and SSH check; a playbook
run; the exporter serving and scraped. To stay out of the way of other tests on the
shared lab it applies two sample tenants as ``sec-*`` (tests/tenantcopies.py) and
enrolls the Anbar rack from a copy of the inventory whose names start with ``sec-``
(its own Ironic nodes, the same emulated BMCs and rack hosts).

Then every secret the lab holds (the service and user passwords of secrets.json and
clouds.yaml, the BMC passwords, the SSH private key) and anything shaped like a
Keystone token is searched for in: the command outputs, the exporter's log, every
file dcctl wrote in its state directory (the audit log, playbook run
artifacts, locks), a dump of the audit log, and the lab logs dcctl itself writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tenantcopies import INVENTORY, destroy_prefixed, ensure_external_network, load_copies, write_copies  # noqa: E402

PREFIX = "sec-"
TENANTS = ("sec-secretariat", "sec-health")
RACK = "sec-anb-r01"
HOST = "sec-anb-cmp01"
DCCTL = Path(sys.executable).parent / "dcctl"
FERNET = re.compile(r"gAAAAA[A-Za-z0-9_=-]{40,}")  # every Keystone fernet token starts so


def _secret_inventory(dest: Path) -> Path:
    """The inventory with the Anbar rack and servers renamed ``sec-*`` and their MACs changed (own Ironic nodes)."""
    shutil.copytree(INVENTORY, dest)
    anbar = dest / "anbar.yaml"
    text = anbar.read_text().replace("anb-r01", RACK).replace("anb-cmp", "sec-anb-cmp")
    text = text.replace('mac: "52:54:00:', 'mac: "52:54:5e:')
    anbar.write_text(text)
    return dest


@pytest.fixture(scope="module")
def demo(lab, tmp_path_factory):
    """Runs the demo-like sequence once; yields what to search and the secrets to search for."""
    from dcctl.core.cloud import connect
    from dcctl.lab import orchestrate, process

    down = [n for n in ("keystone", "neutron", "nova", "cinder", "ironic", "bmc", "hosts")
            if process.pid_of(lab.paths, n) is None]
    if down:
        pytest.skip(f"lab service(s) not running: {', '.join(down)}")
    work = tmp_path_factory.mktemp("secrets")
    tenants = write_copies(work / "tenants", PREFIX)
    load_copies(tenants)
    inventory = _secret_inventory(work / "inventory")
    state = work / "state"
    env = dict(os.environ)
    for line in orchestrate.env(lab):  # what `eval "$(dcctl lab env)"` gives an engineer
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'")
    env |= {"DCCTL_STATE_DIR": str(state), "DCCTL_STATE_URL": f"sqlite:///{state / 'audit.sqlite'}",
            "DCCTL_INVENTORY": str(inventory), "DCCTL_TENANTS": str(tenants)}
    conn = connect("dcctl-lab")
    destroy_prefixed(conn, PREFIX)
    made_external = ensure_external_network(conn)
    outputs: dict[str, str] = {}

    def run(name: str, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
        out = subprocess.run([str(DCCTL), "-vv", *args], capture_output=True, text=True, env=env, timeout=900)
        outputs[name] = out.stdout + out.stderr
        assert out.returncode in ok, f"{name}: exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
        return out

    exporter_log = work / "exporter.log"
    try:
        run("tenant apply", "tenant", "apply", *[f"--tenant={t}" for t in TENANTS], "--yes")
        run("tenant show", "tenant", "show", TENANTS[1])
        run("audit log", "audit", "log", "--tenant", TENANTS[1])
        run("audit verify", "audit", "verify")
        run("rack enroll", "rack", "enroll", RACK)
        run("rack provision", "rack", "provision", RACK, "--to", "available")
        run("rack health", "rack", "health", RACK, ok=(0, 1))  # 1: a reading out of range, not a failure here
        run("rack check", "rack", "check", RACK)
        run("playbook run", "playbook", "run", "site", "--limit", HOST)
        listen = f"127.0.0.1:{_free_port()}"
        with open(exporter_log, "wb") as log:
            proc = subprocess.Popen([str(DCCTL), "-vv", "exporter", "serve", "--listen", listen,
                                     "--interval", "hardware=2", "--interval", "baremetal=2"],
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                outputs["exporter scrape"] = _scrape_until(f"http://{listen}/metrics", "dcctl_bmc_up", proc)
            finally:
                proc.terminate()  # it finishes the collector rounds in flight first
                try:
                    proc.wait(90)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        yield {"outputs": outputs, "state": state, "exporter_log": exporter_log, "lab": lab, "work": work}
    finally:
        _delete_nodes(conn, HOST.rsplit("-", 1)[0])
        destroy_prefixed(conn, PREFIX)
        if made_external:
            conn.network.delete(f"/networks/{made_external}")
        conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape_until(url: str, needle: str, proc: subprocess.Popen, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the exporter stopped"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                text = response.read().decode()
            if needle in text:
                return text
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"no {needle} in the exporter's metrics after {timeout}s")


def _delete_nodes(conn, prefix: str) -> None:
    baremetal = conn.baremetal
    for node in baremetal.nodes(details=True):
        if node.name and node.name.startswith(prefix):
            for _ in range(40):
                try:
                    if node.provision_state not in ("enroll", "manageable", "available") and not node.is_maintenance:
                        baremetal.set_node_maintenance(node, reason="tests/integration/test_secrets.py cleanup")
                    baremetal.delete_node(node)
                    break
                except Exception:  # noqa: BLE001 - locked by a running action: wait and try again
                    time.sleep(0.5)
                    node = baremetal.get_node(node.id)


def _lab_secrets(lab) -> dict[str, str]:
    """Every secret the lab knows, by where it comes from (values shorter than 8 characters are not secrets)."""
    import yaml

    found: dict[str, str] = {}
    for name, value in json.loads((lab.paths.root / "secrets.json").read_text()).items():
        found[f"secrets.json:{name}"] = value
    for cloud, entry in yaml.safe_load(lab.paths.clouds_yaml.read_text())["clouds"].items():
        if entry.get("auth", {}).get("password"):
            found[f"clouds.yaml:{cloud}"] = entry["auth"]["password"]
    facts = dict(lab.facts)
    for site, cred in facts.get("bmc_credentials", {}).items():
        found[f"bmc:{site}"] = cred["password"]
    key = Path(facts["ssh_key"]).read_text()
    for i, line in enumerate(key.splitlines()):
        if line and not line.startswith("-----"):
            found[f"ssh key line {i}"] = line
    return {k: v for k, v in found.items() if isinstance(v, str) and len(v) >= 8}


def _written_by_dcctl(demo) -> dict[str, str]:
    """Every text dcctl wrote: outputs, its logs, its state dir (audit log dumped), the lab logs of dcctl."""
    texts = {f"output of {name}": text for name, text in demo["outputs"].items()}
    texts["exporter log"] = demo["exporter_log"].read_text(errors="replace")
    for path in sorted(demo["state"].rglob("*")):
        if path.is_file() and not path.name.startswith("audit.sqlite"):
            texts[str(path)] = path.read_text(errors="replace")
    db = sqlite3.connect(demo["state"] / "audit.sqlite")
    texts["audit log (sqlite dump)"] = "\n".join(db.iterdump())
    db.close()
    for path in sorted((demo["lab"].paths.root / "logs").glob("exporter*.log")):  # what dcctl wrote in .lab
        texts[str(path)] = path.read_text(errors="replace")
    return texts


def test_the_run_did_what_the_demo_does(demo):
    outputs = demo["outputs"]
    assert "Apply:" in outputs["tenant apply"] and "0 failed" in outputs["tenant apply"]
    assert "chain intact" in outputs["audit verify"]
    assert "dcctl_bmc_up" in outputs["exporter scrape"]
    records = [p for p in demo["state"].rglob("*") if p.is_file()]
    assert (demo["state"] / "audit.sqlite").is_file()  # the apply's records (searched below)
    assert any("playbook" in str(p) for p in records)  # the playbook run's artifacts


def test_no_secret_appears_in_anything_dcctl_wrote_or_printed(demo):
    secrets = _lab_secrets(demo["lab"])
    assert any(k.startswith("bmc:") for k in secrets) and any(k.startswith("clouds.yaml") for k in secrets)
    texts = _written_by_dcctl(demo)
    assert sum(len(t) for t in texts.values()) > 10_000  # debug logs: plenty to search
    leaks = [f"{name} in {where}" for where, text in texts.items() for name, value in secrets.items()
             if value in text]
    leaks += [f"a Keystone token in {where}" for where, text in texts.items() if FERNET.search(text)]
    assert leaks == []
