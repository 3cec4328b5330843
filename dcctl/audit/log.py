"""The audit log: every applied action, hash-chained so an edited or deleted row is detected.

Each record holds the SHA-256 of the previous record and of its own content; the
chain is appended under a lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL a
transaction-scoped advisory lock) so concurrent writers never fork it.
``verify`` recomputes the chain and names the first record that does not match.

Storage is chosen by URL: ``sqlite:///path`` (default: a file in dcctl's state
directory) or ``postgresql://...`` for a team sharing one log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Protocol

GENESIS = "0" * 64
FIELDS = ("id", "time", "os_user", "identity", "kind", "target", "command", "action",
          "before", "after", "result", "error", "prev_hash", "hash")
_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|credential|private[_-]?key|api[_-]?key", re.I)
REDACTED = "***"
_PG_CHAIN_LOCK = 0x6463_6374_6c00  # "dcctl" : the advisory lock that serialises appends


@dataclass
class AuditRecord:
    kind: str  # tenant, rack, playbook, request
    target: str  # tenant slug, rack name, playbook name
    action: str  # e.g. "create network health-apps"
    result: str  # done, failed, skipped, approved ...
    os_user: str = ""
    identity: str = ""  # the cloud identity (user@domain / project) that did it
    command: str = ""  # the dcctl command line
    before: Any = None
    after: Any = None
    error: str = ""
    time: str = ""
    id: int = 0
    prev_hash: str = ""
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the id and the hash itself."""
        return {k: getattr(self, k) for k in FIELDS if k not in ("id", "hash")}

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FIELDS}


def record_hash(record: AuditRecord) -> str:
    canonical = json.dumps(record.content(), sort_keys=True, ensure_ascii=False, default=str,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def redact(value: Any) -> Any:
    """Secrets never reach the log: values under secret-looking keys become ``***``."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    target: str | None = None
    since: str | None = None  # ISO date or datetime: records at or after it
    limit: int | None = None


class AuditStore(Protocol):
    url: str

    def append(self, record: AuditRecord) -> AuditRecord: ...
    def records(self, filters: Filters = Filters()) -> Iterator[AuditRecord]: ...
    def close(self) -> None: ...


def verify(store: AuditStore) -> AuditRecord | None:
    """The first record whose chain link or content hash does not match; None when intact."""
    previous, expected_id = GENESIS, None
    for record in store.records():
        if expected_id is not None and record.id != expected_id:
            return AuditRecord(kind="", target="", action="", result="", id=expected_id,
                               error=f"record {expected_id} is missing (next is {record.id})")
        if record.prev_hash != previous or record_hash(record) != record.hash:
            return record
        previous, expected_id = record.hash, record.id + 1
    return None


def _stamp(record: AuditRecord) -> AuditRecord:
    if not record.time:
        record.time = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    # JSON round trip: what is hashed is exactly what the database gives back
    record.before = json.loads(json.dumps(redact(record.before), default=str))
    record.after = json.loads(json.dumps(redact(record.after), default=str))
    return record


def _row_to_record(row: dict[str, Any]) -> AuditRecord:
    data = dict(row)
    for key in ("before", "after"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return AuditRecord(**{k: data[k] for k in FIELDS})


COLUMNS = ("time TEXT NOT NULL, os_user TEXT, identity TEXT, kind TEXT, target TEXT, command TEXT, action TEXT, "
           "before TEXT, after TEXT, result TEXT, error TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL")


def _link(record: AuditRecord, last: dict | None) -> AuditRecord:
    """Chain ``record`` after the last stored one (``{"id", "hash"}``, or None for the first)."""
    record.id = (last["id"] + 1) if last else 1
    record.prev_hash = last["hash"] if last else GENESIS
    record.hash = record_hash(record)
    return record


# -- SQLite ---------------------------------------------------------------------------------
@dataclass
class SqliteStore:
    path: Path
    url: str = ""
    _local: threading.local = field(default_factory=threading.local)

    SCHEMA = f"""
    CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, {COLUMNS});
    CREATE INDEX IF NOT EXISTS audit_kind_target ON audit (kind, target);
    CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
    """

    def __post_init__(self) -> None:
        self.url = self.url or f"sqlite:///{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as conn:
            conn.executescript(self.SCHEMA)

    def _conn(self):
        import sqlite3

        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def append(self, record: AuditRecord) -> AuditRecord:
        record = _stamp(record)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time: the chain never forks
        try:
            row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            _link(record, dict(row) if row else None)
            conn.execute(f"INSERT INTO audit ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})",
                         _row_values(record))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return record

    def records(self, filters: Filters = Filters()) -> Iterator[AuditRecord]:
        where, params = _where(filters, "?")
        sql = f"SELECT * FROM audit{where} ORDER BY id" + (f" LIMIT {int(filters.limit)}" if filters.limit else "")
        for row in self._conn().execute(sql, params):
            yield _row_to_record(dict(row))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


# -- PostgreSQL -----------------------------------------------------------------------------
@dataclass
class PostgresStore:
    url: str
    _local: threading.local = field(default_factory=threading.local)

    SCHEMA = f"""
    CREATE TABLE IF NOT EXISTS dcctl_audit (id BIGINT PRIMARY KEY, {COLUMNS});
    CREATE INDEX IF NOT EXISTS dcctl_audit_kind_target ON dcctl_audit (kind, target);
    """

    def __post_init__(self) -> None:
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_CHAIN_LOCK,))
            conn.execute(self.SCHEMA)

    def _conn(self):
        import psycopg
        from psycopg.rows import dict_row

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
            self._local.conn = conn
        return conn

    def append(self, record: AuditRecord) -> AuditRecord:
        record = _stamp(record)
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_CHAIN_LOCK,))
            row = conn.execute("SELECT id, hash FROM dcctl_audit ORDER BY id DESC LIMIT 1").fetchone()
            _link(record, row)
            conn.execute(f"INSERT INTO dcctl_audit ({', '.join(FIELDS)}) VALUES ({', '.join(['%s'] * len(FIELDS))})",
                         _row_values(record))
        return record

    def records(self, filters: Filters = Filters()) -> Iterator[AuditRecord]:
        where, params = _where(filters, "%s")
        sql = f"SELECT * FROM dcctl_audit{where} ORDER BY id" + (f" LIMIT {int(filters.limit)}" if filters.limit else "")
        for row in self._conn().execute(sql, params).fetchall():
            yield _row_to_record(row)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _row_values(record: AuditRecord) -> list[Any]:
    """Column values: before/after as JSON text, the rest as they are."""
    return [json.dumps(getattr(record, k), ensure_ascii=False) if k in ("before", "after") else getattr(record, k)
            for k in FIELDS]


def _where(filters: Filters, mark: str) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if filters.kind:
        clauses.append(f"kind = {mark}")
        params.append(filters.kind)
    if filters.target:
        clauses.append(f"target = {mark}")
        params.append(filters.target)
    if filters.since:
        clauses.append(f"time >= {mark}")
        params.append(filters.since)
    return (" WHERE " + " AND ".join(clauses), params) if clauses else ("", params)


# -- choosing a store ---------------------------------------------------------------------------
def state_url() -> str:
    """``--state-url`` / ``DCCTL_STATE_URL``, else a SQLite file in dcctl's state directory."""
    from dcctl.core.records import state_dir

    return os.environ.get("DCCTL_STATE_URL") or f"sqlite:///{state_dir() / 'audit.sqlite'}"


def open_store(url: str | None = None) -> AuditStore:
    from dcctl.core.errors import InputError

    url = url or state_url()
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")), url=url)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    raise InputError(f"unsupported state URL '{_hide_password(url)}'",
                     "use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
