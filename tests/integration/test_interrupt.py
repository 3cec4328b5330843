"""Ctrl-C in the middle of `dcctl tenant apply`, on the SQLite and the PostgreSQL audit log.

A real command line applies every sample tenant (as ``int-*``, tests/tenantcopies.py)
and gets SIGINT once the audit log shows some records. It must exit promptly with
code 130 and say so; every action of the plan is in the audit log exactly once (done,
or not started), what the log says was created is what the cloud holds, the chain
verifies; the lock is free at once, and a re-run converges to a no-op plan.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tenantcopies import INVENTORY, destroy_prefixed, ensure_external_network, load_copies, write_copies  # noqa: E402

PREFIX = "int-"
DCCTL = Path(sys.executable).parent / "dcctl"
RECORDS_BEFORE_CTRL_C = 12


@pytest.fixture(scope="module")
def copies(lab, tmp_path_factory):
    from dcctl.core.cloud import connect
    from dcctl.lab import process

    if any(process.pid_of(lab.paths, n) is None for n in ("keystone", "neutron", "nova", "cinder")):
        pytest.skip("keystone, neutron, nova and cinder must run for the interrupt tests")
    directory = write_copies(tmp_path_factory.mktemp("tenants") / "tenants", PREFIX)
    load_copies(directory)
    conn = connect("dcctl-lab")
    made_external = ensure_external_network(conn)
    try:
        yield {"dir": directory, "conn": conn}
    finally:
        destroy_prefixed(conn, PREFIX)
        if made_external:
            conn.network.delete(f"/networks/{made_external}")
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path):
    """An empty audit log (and lock) on each backend; yields the environment for dcctl."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    else:
        import psycopg

        url = request.getfixturevalue("postgres").url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS dcctl_audit, dcctl_locks")
    return os.environ | {"DCCTL_STATE_URL": url, "DCCTL_STATE_DIR": str(tmp_path / "state")}


def _dcctl(env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    argv = [str(DCCTL), "--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


def _records(url: str) -> list[dict]:
    from dcctl.audit.log import open_store

    store = open_store(url)
    try:
        return [r.as_dict() for r in store.records()]
    finally:
        store.close()


def _wait_for_records(url: str, proc: subprocess.Popen, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the apply ended before it could be interrupted: " + proc.stderr.read()[-2000:]
        try:
            if len(_records(url)) >= count:
                return
        except Exception:  # noqa: BLE001 - the log is created by the first record
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} audit records after {timeout}s")


def test_ctrl_c_mid_apply_records_what_was_done_frees_the_lock_and_a_rerun_converges(copies, state):
    conn, directory, url = copies["conn"], str(copies["dir"]), state["DCCTL_STATE_URL"]
    destroy_prefixed(conn, PREFIX)  # from empty, for each backend
    argv = [str(DCCTL), "--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab", "--json", "tenant", "apply",
            "--tenants", directory, "--yes"]
    # a shell may start background jobs with SIGINT ignored: give the command the default, as a terminal does
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=state,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for_records(url, proc, RECORDS_BEFORE_CTRL_C)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 130, out[-2000:] + err[-2000:]
    assert stopped_after < 30, f"took {stopped_after:.1f}s to stop"  # the calls in flight, not the whole plan
    assert "Traceback" not in err, err[-3000:]
    report = json.loads(out)
    assert report["interrupted"] is True and report["ok"] is False
    outcomes = {r["key"]: r["outcome"] for r in report["results"]}
    assert len(outcomes) == len(report["plan"]["actions"])  # every action accounted for ...
    done = [k for k, o in outcomes.items() if o == "done"]
    assert len(done) >= RECORDS_BEFORE_CTRL_C and "skipped" in outcomes.values()

    records = [r for r in _records(url) if r["kind"] == "tenant"]
    assert len(records) == len(outcomes)  # ... and in the audit log exactly once
    assert sum(r["result"] == "done" for r in records) == len(done)
    assert {r["error"] for r in records if r["result"] == "skipped"} <= {"apply interrupted", "a dependency failed"}
    # what the log says was created is exactly what the cloud holds
    logged_domains = {r["action"].split()[-1] for r in records
                      if r["action"].startswith("create domain ") and r["result"] == "done"}
    live_domains = {d["name"] for d in conn.identity.get("/domains").json()["domains"]
                    if d["name"].startswith(PREFIX)}
    assert logged_domains == live_domains and live_domains
    verify = _dcctl(state, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr

    started = time.monotonic()
    rerun = _dcctl(state, "--json", "tenant", "apply", "--tenants", directory, "--yes", "--lock-timeout", "0")
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]  # the lock was free at once
    assert json.loads(rerun.stdout)["ok"] is True
    print(f"[{url.split(':')[0]}] interrupted after {len(done)} done, stopped in {stopped_after:.1f}s; "
          f"re-run {time.monotonic() - started:.0f}s")
    again = _dcctl(state, "--json", "tenant", "plan", "--tenants", directory)
    assert again.returncode == 0 and json.loads(again.stdout)["actions"] == [], again.stdout[-2000:]
    assert _dcctl(state, "audit", "verify").returncode == 0
