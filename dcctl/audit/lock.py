"""The apply lock: two engineers never apply at once; a crashed holder never leaves a stale lock.

SQLite state (the default): an ``flock`` on a file in the state directory. The
kernel drops it when the holder's process ends, however it ends.
PostgreSQL state: a session-level advisory lock, which the server drops when the
holder's connection goes away.
Both keep who holds the lock and since when, so the one who waits can be told.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from dcctl.core.errors import DcctlError, EXIT_SERVICE


class LockHeld(DcctlError):
    """Another dcctl holds the lock for longer than we may wait."""

    exit_code = EXIT_SERVICE


def holder_info(command: str) -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname(), "pid": os.getpid(), "command": command,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another dcctl process"
    return (f"{holder.get('user')}@{holder.get('host')} (pid {holder.get('pid')}, "
            f"`{holder.get('command')}`) since {holder.get('since')}")


@contextmanager
def apply_lock(name: str = "apply", *, timeout: float = 60.0, command: str = "",
               url: str | None = None, poll: float = 0.2) -> Iterator[dict]:
    """Hold the named lock for the duration of the block; wait up to ``timeout`` seconds for it."""
    from dcctl.audit.log import state_url

    url = url or state_url()
    me = holder_info(command)
    if url.startswith(("postgresql://", "postgres://")):
        with _pg_lock(url, name, me, timeout, poll):
            yield me
    else:
        from dcctl.core.records import state_dir

        with _file_lock(state_dir() / "locks" / f"{name}.lock", me, timeout, poll):
            yield me


@contextmanager
def _file_lock(path: Path, me: dict, timeout: float, poll: float) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(f"the {path.stem} lock is held by {_describe(_read_holder(path))}",
                                   f"waited {timeout:.0f}s; wait for it to finish or raise --lock-timeout") from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text() or "null")
    except (OSError, json.JSONDecodeError):
        return None


def _pg_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"dcctl-lock:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _pg_lock(url: str, name: str, me: dict, timeout: float, poll: float) -> Iterator[None]:
    import psycopg

    key = _pg_key(name)
    conn = psycopg.connect(url, autocommit=True)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS dcctl_locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL)")
        deadline = time.monotonic() + timeout
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                row = conn.execute("SELECT holder FROM dcctl_locks WHERE name = %s", (name,)).fetchone()
                holder = json.loads(row[0]) if row else None
                raise LockHeld(f"the {name} lock is held by {_describe(holder)}",
                               f"waited {timeout:.0f}s; wait for it to finish or raise --lock-timeout")
            time.sleep(poll)
        conn.execute("INSERT INTO dcctl_locks (name, holder) VALUES (%s, %s) "
                     "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder", (name, json.dumps(me)))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    finally:
        conn.close()  # a crash closes the connection too, and the server drops the lock
