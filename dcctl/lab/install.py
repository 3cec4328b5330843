"""Install what the lab runs: its Python virtualenv (pinned OpenStack services) and Debian packages.

Both steps are skipped when already done, so ``lab up`` can call them every time:
the venv carries a marker naming the requirements it was built from, and a
Debian package is installed only when ``dpkg -s`` says it is missing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from dcctl.core.errors import ServiceError
from dcctl.lab.paths import REQUIREMENTS, LabPaths

MARKER = ".dcctl-lab-installed"
POLICY_RC = Path("/usr/sbin/policy-rc.d")


def requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def venv_ready(paths: LabPaths) -> bool:
    marker = paths.venv / MARKER
    return (paths.bin("python").exists() and marker.exists()
            and marker.read_text().strip() == requirements_digest())


def ensure_venv(paths: LabPaths, say: Callable[[str], None] = lambda _m: None) -> bool:
    """Create the lab venv and pip-install the pinned requirements unless done. True if it installed."""
    if venv_ready(paths):
        return False
    paths.ensure()
    log = paths.log("install")
    started = time.monotonic()
    if not paths.bin("python").exists():
        say(f"creating the lab virtualenv {paths.venv}")
        _run([sys.executable, "-m", "venv", str(paths.venv)], log,
             hint="on Debian, `apt-get install python3-venv` gives Python its venv module")
    say(f"installing the lab's OpenStack services into {paths.venv} (log: {log})")
    _run([str(paths.bin("python")), "-m", "pip", "install", "--no-input", "-r", str(REQUIREMENTS)], log)
    (paths.venv / MARKER).write_text(requirements_digest() + "\n")
    say(f"lab virtualenv ready in {time.monotonic() - started:.0f}s")
    return True


def missing_packages(packages: Iterable[str]) -> list[str]:
    """The Debian packages among ``packages`` that dpkg does not report as installed."""
    missing = []
    for package in sorted(set(packages)):
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True)
        if result.returncode != 0 or not result.stdout.endswith("install ok installed"):
            missing.append(package)
    return missing


def ensure_packages(paths: LabPaths, packages: Iterable[str],
                    say: Callable[[str], None] = lambda _m: None) -> list[str]:
    """apt-get install the missing ones (``apt-get update`` first, once). Returns what it installed."""
    if shutil.which("dpkg-query") is None:
        raise ServiceError("lab install: this is not a Debian system (no dpkg-query)",
                           hint="install the lab's packages by hand: " + " ".join(sorted(set(packages))))
    missing = missing_packages(packages)
    if not missing:
        return []
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise ServiceError(f"lab install: missing Debian packages {', '.join(missing)} and not root",
                               hint=f"run `apt-get install {' '.join(missing)}` as root")
        prefix = ["sudo", "-n"]
    paths.ensure()
    log = paths.log("install")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    say(f"installing Debian packages: {', '.join(missing)} (log: {log})")
    # Packages like prometheus start their system daemon on install; the lab runs its own.
    block_daemons = os.geteuid() == 0 and not POLICY_RC.exists()
    if block_daemons:
        POLICY_RC.write_text("#!/bin/sh\n# written by dcctl lab install, removed after it\nexit 101\n")
        POLICY_RC.chmod(0o755)
    try:
        _run(prefix + ["apt-get", "update"], log, env=env)
        _run(prefix + ["apt-get", "install", "-y", "--no-install-recommends", *missing], log, env=env)
    finally:
        if block_daemons:
            POLICY_RC.unlink(missing_ok=True)
    return missing


def _run(argv: list[str], log: Path, env: dict[str, str] | None = None, hint: str = "") -> None:
    with open(log, "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, **(env or {})))
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise ServiceError(f"lab install: `{' '.join(argv[:4])}` failed (exit {result.returncode}); "
                           f"log {log}:\n{tail}", hint=hint or "fix the cause above and run `dcctl lab install` again")
