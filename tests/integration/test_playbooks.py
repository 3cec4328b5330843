"""`dcctl playbook run` against the lab's rack hosts: real sshd, verified host keys, each host
with its own /etc. The baseline runs once on every host; the other checks use --limit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import paramiko
import pytest

from dcctl.lab.services.hosts import RackHosts

ROOT = Path(__file__).resolve().parents[2]
SECOND_RUN = ["bgw-ctl01", "bgw-stg01", "bsr-cmp01", "anb-cmp02"]  # every role and site
CHECK_HOST = "bsr-cmp02"
KEY_HOSTS = ("bgw-cmp01", "anb-cmp01")
MANAGED = {  # file on the host -> text only dcctl's playbooks write into it
    "/etc/chrony/chrony.conf": "time from the NTP servers of site",
    "/etc/ssh/sshd_config.d/50-dcctl-hardening.conf": "sshd hardening of the national data centre",
    "/etc/sysctl.d/90-dcctl-hardening.conf": "Kernel hardening for",
    "/etc/default/prometheus-node-exporter": "Arguments of prometheus-node-exporter",
}


@pytest.fixture(scope="module")
def facts(lab) -> dict:
    from dcctl.lab import process

    if process.pid_of(lab.paths, "hosts") is None:
        pytest.skip("lab service hosts not running in this session")
    facts = dict(lab.facts)
    if "ssh_key" not in facts or "rack_hosts" not in facts:
        facts.update(RackHosts().facts(lab))
    return facts


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dcctl-state")


@pytest.fixture(scope="module")
def env(facts, state) -> dict:
    """How an engineer runs it on the lab: known_hosts and key from the environment."""
    base = {k: v for k, v in os.environ.items() if k not in ("DCCTL_STATE_URL", "DCCTL_INVENTORY")}
    return base | {"DCCTL_STATE_DIR": str(state), "DCCTL_KNOWN_HOSTS": facts["known_hosts"],
                   "DCCTL_SSH_KEY": facts["ssh_key"]}


def dcctl(env: dict, *args: str, inventory: Path | None = None) -> subprocess.CompletedProcess:
    pre = ["--inventory", str(inventory)] if inventory else []
    return subprocess.run([sys.executable, "-m", "dcctl", *pre, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def run_json(env: dict, *args: str, inventory: Path | None = None) -> tuple[int, dict, str]:
    out = dcctl(env, "playbook", "run", *args, "--json", inventory=inventory)
    try:
        return out.returncode, json.loads(out.stdout), out.stderr
    except json.JSONDecodeError:
        pytest.fail(f"no JSON from dcctl (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")


def connect(facts: dict, name: str) -> paramiko.SSHClient:
    host = facts["rack_hosts"][name]
    client = paramiko.SSHClient()
    client.load_host_keys(facts["known_hosts"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(hostname=host["host"], port=host["port"], username=host["user"],
                   key_filename=facts["ssh_key"], allow_agent=False, look_for_keys=False, timeout=10)
    return client


def sh(client: paramiko.SSHClient, command: str) -> str:
    _in, stdout, stderr = client.exec_command(command, timeout=20)
    out = stdout.read().decode()
    assert stdout.channel.recv_exit_status() == 0, f"{command!r}: {stderr.read().decode()}"
    return out


@pytest.fixture(scope="module")
def inventory():
    from dcctl.inventory import load_inventory

    inv, _problems = load_inventory(ROOT / "inventory")
    return inv


@pytest.fixture(scope="module")
def baseline(env) -> dict:
    """`dcctl playbook run site` on every lab host, once for the module."""
    rc, summary, stderr = run_json(env, "site")
    assert rc == 0, f"{stderr}\n{json.dumps(summary.get('recap', {}).get('failures'), indent=1)}"
    return summary


def test_baseline_configures_every_host_in_its_own_etc(baseline, facts, inventory):
    hosts = baseline["recap"]["hosts"]
    servers = {d.name: d for d in inventory.servers() if d.ssh is not None}
    assert set(hosts) == set(servers) == set(facts["rack_hosts"])
    assert {r["status"] for r in hosts.values()} <= {"ok", "changed"}
    assert baseline["status"] in ("ok", "changed") and baseline["recap"]["complete"]

    for name, device in servers.items():
        # each host's files are in its own overlay's upper dir, with its site's NTP servers
        upper = Path(facts["rack_hosts"][name]["dir"]) / "upper"
        chrony = (upper / "etc/chrony/chrony.conf").read_text()
        site = inventory.site_of(device)
        assert [line.split()[1] for line in chrony.splitlines() if line.startswith("server ")] == \
            list(site.ntp_servers), name
        for path, marker in MANAGED.items():
            assert marker in (upper / path.lstrip("/")).read_text(), (name, path)
        prom = (upper / "var/lib/prometheus/node-exporter/dcctl_host.prom").read_text()
        assert f'rack="{device.rack}"' in prom and f'role="{device.role.value}"' in prom

    # seen from inside two hosts at different sites, over SSH
    role_sysctl = {"bgw-ctl01": "net.core.somaxconn = 4096", "anb-cmp01": "net.ipv4.ip_forward = 1"}
    for name, sysctl in role_sysctl.items():
        client = connect(facts, name)
        try:
            assert f"# {name}: time from the NTP servers of site" in sh(client, "cat /etc/chrony/chrony.conf")
            assert "dcadmin" in sh(client, "id -nG lhassan")
            effective = sh(client, "/usr/sbin/sshd -T -f /etc/ssh/sshd_config -C user=root,host=x,addr=127.0.0.1")
            assert "passwordauthentication no" in effective and "allowgroups root" in effective
            assert sysctl in sh(client, "cat /etc/sysctl.d/90-dcctl-hardening.conf")  # per-role settings
        finally:
            client.close()

    # and none of it on the machine running the tests
    for path, marker in MANAGED.items():
        assert not Path(path).exists() or marker not in Path(path).read_text(), path
    assert subprocess.run(["getent", "passwd", "lhassan"], capture_output=True).returncode != 0


def test_a_second_run_changes_nothing(baseline, env):
    rc, summary, stderr = run_json(env, "site", "--limit", ",".join(SECOND_RUN))
    assert rc == 0, stderr
    hosts = summary["recap"]["hosts"]
    assert sorted(hosts) == sorted(SECOND_RUN)
    assert {h: r["changed"] for h, r in hosts.items()} == {h: 0 for h in SECOND_RUN}
    assert summary["status"] == "ok" and summary["changed_hosts"] == []


def test_check_diff_shows_a_pending_change_without_applying_it(baseline, env, facts):
    rogue = f"server rogue-{uuid.uuid4().hex[:8]}.example.org iburst"
    client = connect(facts, CHECK_HOST)
    try:
        sh(client, f"echo '{rogue}' >> /etc/chrony/chrony.conf")
        out = dcctl(env, "playbook", "run", "site", "--limit", CHECK_HOST, "--tags", "chrony", "--check", "--diff")
        assert out.returncode == 0, out.stderr
        assert f"-{rogue}" in out.stdout  # the diff dcctl would apply
        assert "changed" in out.stdout and "check mode" in out.stdout
        assert rogue in sh(client, "cat /etc/chrony/chrony.conf"), "--check must not change the host"

        fixed = dcctl(env, "playbook", "run", "site", "--limit", CHECK_HOST, "--tags", "chrony", "--json")
        assert fixed.returncode == 0, fixed.stderr
        assert json.loads(fixed.stdout)["recap"]["hosts"][CHECK_HOST]["changed"] == 1
        assert rogue not in sh(client, "cat /etc/chrony/chrony.conf")
    finally:
        sh(client, "sed -i '/rogue-.*example.org/d' /etc/chrony/chrony.conf")
        client.close()


@pytest.fixture
def faulty_inventory(tmp_path) -> Path:
    """The sample inventory plus a server where nothing listens, and Anbar without NTP servers."""
    inv = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", inv)
    (inv / "zz-stopped-host.yaml").write_text(
        "devices:\n"
        "  - name: bgw-cmp99\n    rack: bgw-a02\n    role: compute\n    position: 30\n    height_u: 1\n"
        "    model: Stopped test server\n    serial: TEST-STOPPED-1\n    power_w: 100\n"
        "    management_ip: 127.0.10.250\n    ssh: {host: 127.0.10.250, port: 2222}\n")
    anbar = inv / "anbar.yaml"
    text = anbar.read_text()
    assert "    ntp_servers: [ntp1.dc.gov.iq]\n" in text
    anbar.write_text(text.replace("    ntp_servers: [ntp1.dc.gov.iq]\n", ""))
    return inv


def test_unreachable_and_failing_hosts_are_reported_and_the_others_finish(baseline, env, faulty_inventory):
    rc, summary, stderr = run_json(env, "site", "--limit", "bgw-cmp99,anb-cmp01,bgw-ctl01",
                                   inventory=faulty_inventory)
    assert rc == 3, stderr
    assert "2 of 3 hosts failed or were unreachable: anb-cmp01, bgw-cmp99" in stderr
    hosts = summary["recap"]["hosts"]
    assert hosts["bgw-cmp99"]["status"] == "unreachable"
    assert hosts["bgw-cmp99"]["reason"] == "connection refused: nothing listening on the SSH port"
    assert hosts["anb-cmp01"]["status"] == "failed"
    assert "anb-edge1 has no ntp_servers" in hosts["anb-cmp01"]["reason"]
    assert hosts["bgw-ctl01"]["status"] == "ok" and hosts["bgw-ctl01"]["ok"] >= 10  # ran to the end
    assert summary["failed_hosts"] == ["anb-cmp01", "bgw-cmp99"]

    shown = dcctl(env, "playbook", "show", summary["run_id"])
    assert shown.returncode == 0, shown.stderr
    assert "failed tasks (2)" in shown.stdout
    assert "Connection refused" in shown.stdout
    assert "chrony : Check the site has NTP servers" in shown.stdout


def test_a_changed_host_key_makes_only_that_host_unreachable(baseline, env, facts, tmp_path):
    a, b = (facts["rack_hosts"][h] for h in KEY_HOSTS)
    entry = lambda h: f"[{h['host']}]:{h['port']}" if h["port"] != 22 else h["host"]  # noqa: E731
    lines = Path(facts["known_hosts"]).read_text().splitlines()
    key_b = " ".join(Path(b["host_key"]).read_text().split()[:2])
    wrong = tmp_path / "known_hosts"
    wrong.write_text("".join(f"{entry(a)} {key_b}\n" if line.split()[0] == entry(a) else line + "\n"
                             for line in lines))
    rc, summary, stderr = run_json(env, "site", "--limit", ",".join(KEY_HOSTS), "--tags", "chrony",
                                   "--known-hosts", str(wrong))
    assert rc == 3, stderr
    hosts = summary["recap"]["hosts"]
    assert hosts[KEY_HOSTS[0]]["status"] == "unreachable"
    assert hosts[KEY_HOSTS[0]]["reason"] == "host key changed: does not match known_hosts"
    assert hosts[KEY_HOSTS[1]]["status"] == "ok"


def test_the_audit_log_and_show_hold_each_run(baseline, env, state, monkeypatch):
    from dcctl.core import records

    monkeypatch.setenv("DCCTL_STATE_DIR", str(state))
    monkeypatch.delenv("DCCTL_STATE_URL", raising=False)
    records._STORES.clear()
    try:
        entries = {(e.get("after") or {}).get("run_id"): e for e in records.read(kind="playbook")}
    finally:
        records._STORES.clear()
    entry = entries[baseline["run_id"]]
    details = entry["after"]
    assert entry["target"] == "site" and entry["action"] == "run" and entry["result"] == "done"
    assert entry["os_user"] and details["limit"] is None and details["duration_s"] > 0
    assert set(details["hosts"]) == set(baseline["recap"]["hosts"])
    assert len(entries) >= 5  # every run of this module, failed ones included

    shown = dcctl(env, "playbook", "show", baseline["run_id"], "--json")
    assert shown.returncode == 0, shown.stderr
    again = json.loads(shown.stdout)
    assert again["recap"] == baseline["recap"] and Path(again["artifacts"]).is_dir()
    assert (Path(again["artifacts"]) / "job_events").is_dir()  # ansible-runner's own record
