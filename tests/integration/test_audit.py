"""The audit log and the apply lock, on SQLite and on a real PostgreSQL server: same tests.

Records are hash-chained, so an edited or deleted row is found by ``dcctl audit verify``;
two real processes never hold the lock at once; a killed holder leaves no stale lock.
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path, monkeypatch):
    """An empty audit store; yields its URL, also set as DCCTL_STATE_URL for child processes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    else:
        server = request.getfixturevalue("postgres")
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS dcctl_audit, dcctl_locks")
        url = server.url
    monkeypatch.setenv("DCCTL_STATE_URL", url)
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path / "state"))
    from dcctl.core import records

    records._STORES.clear()
    yield url
    for store in records._STORES.values():
        store.close()
    records._STORES.clear()


def dcctl(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcctl", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or dict(os.environ))


def tamper(url: str, sql: str) -> None:
    if url.startswith("sqlite"):
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        db.execute(sql.replace("dcctl_audit", "audit"))
        db.commit()
        db.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)


def write_three():
    from dcctl.core import records

    for i in range(1, 4):
        records.record("tenant", "health", f"update compute-quota {i}", "done",
                       before={"cores": i}, after={"cores": i + 1, "admin_password": "hunter2"})


def test_records_chain_and_verify_passes(state):
    write_three()
    out = dcctl("audit", "verify")
    assert out.returncode == 0, out.stderr
    assert "3 records, chain intact" in out.stdout
    log = json.loads(dcctl("--json", "audit", "log", "--tenant", "health").stdout)
    assert [r["action"] for r in log] == [f"update compute-quota {i}" for i in (1, 2, 3)]
    assert all(r["prev_hash"] == p["hash"] for p, r in zip(log, log[1:]))


def test_secrets_never_reach_the_log(state):
    write_three()
    assert "hunter2" not in dcctl("--json", "audit", "log").stdout


def test_an_edited_record_is_detected(state):
    write_three()
    tamper(state, "UPDATE dcctl_audit SET after = '{\"cores\": 99}' WHERE id = 2")
    out = dcctl("audit", "verify")
    assert out.returncode == 1
    assert "record 2" in out.stderr and "does not match" in out.stderr


def test_a_deleted_record_is_detected(state):
    write_three()
    tamper(state, "DELETE FROM dcctl_audit WHERE id = 2")
    out = dcctl("audit", "verify")
    assert out.returncode == 1
    assert "record 2 is missing" in out.stderr


def test_concurrent_writers_never_fork_the_chain(state):
    script = ("from dcctl.core import records\n"
              "for i in range(25): records.record('rack', 'bgw-a01', f'enroll {i}', 'done')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ)) for _ in range(3)]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    out = dcctl("audit", "verify")
    assert out.returncode == 0, out.stderr
    assert "75 records" in out.stdout


HOLD = ("import sys, time\nfrom dcctl.audit.lock import apply_lock\n"
        "with apply_lock('apply', timeout=float(sys.argv[1]), command='dcctl tenant apply'):\n"
        "    print('locked', flush=True)\n    time.sleep(float(sys.argv[2]))\n")


def holder(seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, "10", str(seconds)], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_apply_waits_then_names_the_holder(state):
    first = holder(30)
    try:
        start = time.monotonic()
        second = subprocess.run([sys.executable, "-c", HOLD, "1.0", "0"], cwd=ROOT, env=dict(os.environ),
                                capture_output=True, text=True)
        waited = time.monotonic() - start
        assert second.returncode != 0 and waited >= 1.0
        assert "the apply lock is held by" in second.stderr
        assert f"pid {first.pid}" in second.stderr and "dcctl tenant apply" in second.stderr
    finally:
        first.kill()
        first.wait()


def test_the_lock_passes_on_when_the_holder_finishes(state):
    first = holder(1.0)
    second = subprocess.run([sys.executable, "-c", HOLD, "10", "0"], cwd=ROOT, env=dict(os.environ),
                            capture_output=True, text=True)
    assert second.returncode == 0 and second.stdout.strip() == "locked"
    first.wait()


def test_a_killed_holder_leaves_no_stale_lock(state):
    first = holder(60)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    second = subprocess.run([sys.executable, "-c", HOLD, "5", "0"], cwd=ROOT, env=dict(os.environ),
                            capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
