"""The lab's rack hosts (real sshd, verified host keys, own filesystem view) and Prometheus."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import paramiko
import pytest

from dcctl.lab.services.hosts import RackHosts

pytestmark = pytest.mark.lab  # DCCTL_LAB_ONLY=hosts,prometheus starts just what these need


@pytest.fixture(scope="module")
def facts(lab) -> dict:
    from dcctl.lab import process

    if process.pid_of(lab.paths, "hosts") is None:
        pytest.skip("lab service hosts not running in this session")
    facts = dict(lab.facts)
    if "ssh_key" not in facts or "rack_hosts" not in facts:  # lab reused without a prepare
        facts.update(RackHosts().facts(lab))
    return facts


@pytest.fixture(scope="module")
def two_hosts(facts) -> list[tuple[str, dict]]:
    hosts = sorted(facts["rack_hosts"].items())
    assert len(hosts) >= 2, "the sample inventory has several servers with ssh endpoints"
    return [hosts[0], hosts[-1]]  # different sites in the sample inventory


def connect(facts: dict, host: dict, known_hosts: str | None = None,
            key: str | None = None) -> paramiko.SSHClient:
    """An SSH client that trusts only the given known_hosts file (never a new key)."""
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts or facts["known_hosts"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(hostname=host["host"], port=host["port"], username=host["user"],
                   key_filename=key or facts["ssh_key"], allow_agent=False, look_for_keys=False,
                   timeout=10, banner_timeout=10, auth_timeout=10)
    return client


def run(client: paramiko.SSHClient, command: str) -> str:
    _stdin, stdout, stderr = client.exec_command(command, timeout=20)
    out = stdout.read().decode()
    status = stdout.channel.recv_exit_status()
    assert status == 0, f"{command!r} exited {status}: {stderr.read().decode()}"
    return out


def test_ssh_command_on_two_hosts_with_verified_host_keys(facts, two_hosts):
    for name, host in two_hosts:
        client = connect(facts, host)
        try:
            started = time.monotonic()
            assert run(client, "hostname").strip() == name
            uname = run(client, "uname -a")
            elapsed = time.monotonic() - started
            assert uname.startswith("Linux ") and name in uname
            # the host key presented is exactly the one the lab published for this host
            published = Path(host["host_key"]).read_text().split()[1]
            assert client.get_transport().get_remote_server_key().get_base64() == published
            # Ansible needs a python3 on the host
            assert run(client, "python3 -c 'import sys; print(sys.version_info[0])'").strip() == "3"
        finally:
            client.close()
        assert elapsed < 5, f"two commands on {name} took {elapsed:.1f}s"


def test_wrong_or_unknown_host_key_is_refused(facts, two_hosts, tmp_path):
    (name_a, host_a), (_name_b, host_b) = two_hosts
    # host A listed with host B's key: a man in the middle, as far as the client can tell
    key_b = Path(host_b["host_key"]).read_text().split()
    wrong = tmp_path / "known_hosts_wrong"
    entry_a = f"[{host_a['host']}]:{host_a['port']}" if host_a["port"] != 22 else host_a["host"]
    wrong.write_text(f"{entry_a} {key_b[0]} {key_b[1]}\n")
    with pytest.raises(paramiko.BadHostKeyException):
        connect(facts, host_a, known_hosts=str(wrong)).close()
    # host A not listed at all: RejectPolicy refuses to learn its key
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        connect(facts, host_a, known_hosts=str(empty)).close()


def test_only_the_lab_key_logs_in(facts, two_hosts, tmp_path):
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with pytest.raises(paramiko.AuthenticationException):
        connect(facts, two_hosts[0][1], key=str(stranger)).close()


def test_each_host_has_its_own_etc_and_var(facts, two_hosts):
    (name_a, host_a), (name_b, host_b) = two_hosts
    marker = uuid.uuid4().hex
    probe_dir = f"/etc/dcctl-lab-test-{marker}"
    etc_file, var_file = f"{probe_dir}/chrony.conf", f"/var/tmp/dcctl-lab-test-{marker}"
    a, b = connect(facts, host_a), connect(facts, host_b)
    try:
        run(a, f"mkdir -p {probe_dir} && echo 'server ntp.{name_a}' > {etc_file} && echo {marker} > {var_file}")
        assert run(a, f"cat {etc_file}").strip() == f"server ntp.{name_a}"
        assert run(a, f"cat {var_file}").strip() == marker
        # host B sees neither file
        assert run(b, f"ls {etc_file} {var_file} 2>/dev/null | wc -l").strip() == "0"
        # and neither does the machine running the tests
        assert not Path(probe_dir).exists()
        assert not Path(var_file).exists()
        # the machine's own files are visible to the hosts, read through their overlay
        assert run(b, "cat /etc/os-release") == Path("/etc/os-release").read_text()
    finally:
        try:
            run(a, f"rm -rf {probe_dir} {var_file}")
        finally:
            a.close()
            b.close()


def test_prometheus_answers_a_query_with_a_scraped_sample(lab, require):
    require("prometheus")
    url = lab.url("prometheus", "/api/v1/query?" + urllib.parse.urlencode({"query": "up"}))
    deadline = time.monotonic() + 30  # first scrape within one 5 s interval
    samples: list = []
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
        assert body["status"] == "success"
        samples = body["data"]["result"]
        if any(s["metric"].get("job") == "prometheus" and s["value"][1] == "1" for s in samples):
            break
        time.sleep(1)
    else:
        pytest.fail(f"no scraped sample of up{{job='prometheus'}} within 30 s: {samples}")
    jobs = {s["metric"]["job"] for s in samples}
    assert "dcctl" in jobs, "the dcctl exporter is a scrape target"
