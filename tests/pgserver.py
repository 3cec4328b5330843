"""A throwaway PostgreSQL server on loopback for tests, from Debian's packages.

Installed with apt-get when missing; runs as the ``postgres`` user (PostgreSQL
refuses root) from a data directory under /tmp, on 127.0.0.1 only; stopped by PID.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PORT = 25432


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def ensure_installed() -> Path:
    if _bindir() is None:
        policy = Path("/usr/sbin/policy-rc.d")
        block = not policy.exists()
        if block:  # the package would start the system cluster; we run our own
            policy.write_text("#!/bin/sh\nexit 101\n")
            policy.chmod(0o755)
        try:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
                           check=True, env=env, capture_output=True)
        finally:
            if block:
                policy.unlink(missing_ok=True)
    bindir = _bindir()
    assert bindir is not None, "postgresql did not install"
    return bindir


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = ensure_installed()
        self.root = Path(tempfile.mkdtemp(prefix="dcctl-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.sock.mkdir()
        shutil.chown(self.root, "postgres")
        shutil.chown(self.sock, "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{PORT}/dcctl"

    def _as_postgres(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True,
                              cwd=self.root)

    def start(self) -> "PostgresServer":
        out = self._as_postgres(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        assert out.returncode == 0, out.stderr
        out = self._as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                                "-o", f"-h 127.0.0.1 -p {PORT} -k {self.sock}", "-w", "start")
        assert out.returncode == 0, out.stderr + (self.root / "log").read_text(errors="replace")
        out = self._as_postgres(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(PORT), "dcctl")
        assert out.returncode == 0, out.stderr
        return self

    def stop(self) -> None:
        self._as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
