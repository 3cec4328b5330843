"""SSH preflight of rack hosts (paramiko): reachable, host key as expected, ``uname``, uptime,
load and root disk use.

Host keys are checked strictly: only the known_hosts file given is trusted and an unknown
or changed key is refused (``RejectPolicy``), never learnt. One command per host gathers
everything (``PROBE``); :func:`parse_probe` and :func:`disk_level` are pure.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KNOWN_HOSTS_ENV = "DCCTL_KNOWN_HOSTS"
SSH_KEY_ENV = "DCCTL_SSH_KEY"
PROBE = "uname -srm; cat /proc/uptime; cat /proc/loadavg; df -P /"
DISK_WARNING, DISK_FAILURE = 85, 95  # root disk use, percent


@dataclass(frozen=True)
class SshTarget:
    device: str
    rack: str
    host: str
    port: int
    user: str

    @property
    def known_hosts_name(self) -> str:
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


@dataclass
class HostCheck:
    device: str
    rack: str
    endpoint: str
    ok: bool = False
    reason: str = ""
    uname: str = ""
    uptime_seconds: float | None = None
    load: tuple[float, float, float] | None = None
    root_use_percent: int | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.device, "rack": self.rack, "endpoint": self.endpoint, "ok": self.ok,
                "reason": self.reason, "uname": self.uname, "uptime_seconds": self.uptime_seconds,
                "load": list(self.load) if self.load else None, "root_use_percent": self.root_use_percent,
                "warnings": self.warnings, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Probe:
    uname: str
    uptime_seconds: float
    load: tuple[float, float, float]
    root_use_percent: int


def parse_probe(output: str) -> Probe:
    """What ``PROBE`` printed: uname line, /proc/uptime, /proc/loadavg, then ``df -P /``."""
    lines = [line for line in output.splitlines() if line.strip()]
    if len(lines) < 5:
        raise ValueError(f"unexpected probe output ({len(lines)} lines)")
    uname = lines[0].strip()
    uptime = float(lines[1].split()[0])
    load_fields = lines[2].split()
    load = (float(load_fields[0]), float(load_fields[1]), float(load_fields[2]))
    df_row = lines[-1].split()
    use = next(f for f in df_row if f.endswith("%"))
    return Probe(uname, uptime, load, int(use.rstrip("%")))


def disk_level(percent: int, warning: int = DISK_WARNING, failure: int = DISK_FAILURE) -> str:
    return "fail" if percent >= failure else "warning" if percent >= warning else "ok"


def default_known_hosts() -> Path:
    return Path(os.environ.get(KNOWN_HOSTS_ENV) or "~/.ssh/known_hosts").expanduser()


def check_hosts(targets: list[SshTarget], known_hosts: Path, *, key_file: str | None = None,
                concurrency: int = 16, timeout: float = 10, disk_warning: int = DISK_WARNING,
                disk_failure: int = DISK_FAILURE) -> list[HostCheck]:
    """Check every host concurrently; one result per host, failed ones with their reason."""
    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(targets))), thread_name_prefix="ssh") as pool:
        return list(pool.map(lambda t: check_host(t, known_hosts, key_file=key_file, timeout=timeout,
                                                  disk_warning=disk_warning, disk_failure=disk_failure),
                             targets))


def check_host(target: SshTarget, known_hosts: Path, *, key_file: str | None = None, timeout: float = 10,
               disk_warning: int = DISK_WARNING, disk_failure: int = DISK_FAILURE) -> HostCheck:
    import paramiko

    started = time.monotonic()
    result = HostCheck(target.device, target.rack, f"{target.user}@{target.host}:{target.port}")
    client = paramiko.SSHClient()
    try:
        client.load_host_keys(str(known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(hostname=target.host, port=target.port, username=target.user,
                       key_filename=key_file, allow_agent=key_file is None, look_for_keys=key_file is None,
                       timeout=timeout, banner_timeout=timeout, auth_timeout=timeout)
        _stdin, stdout, stderr = client.exec_command(PROBE, timeout=timeout)
        output = stdout.read().decode(errors="replace")
        status = stdout.channel.recv_exit_status()
        if status != 0:
            raise _ProbeFailed(f"probe exited {status}: {stderr.read().decode(errors='replace').strip()[:200]}")
        probe = parse_probe(output)
        result.uname, result.uptime_seconds = probe.uname, probe.uptime_seconds
        result.load, result.root_use_percent = probe.load, probe.root_use_percent
        level = disk_level(probe.root_use_percent, disk_warning, disk_failure)
        if level == "fail":
            result.reason = f"root disk {probe.root_use_percent}% full (limit {disk_failure}%)"
        else:
            if level == "warning":
                result.warnings.append(f"root disk {probe.root_use_percent}% full")
            result.ok = True
    except Exception as exc:  # noqa: BLE001 - each host's failure is its own result
        result.reason = describe_ssh_error(exc, target, known_hosts, key_file)
    finally:
        client.close()
        result.seconds = time.monotonic() - started
    return result


class _ProbeFailed(Exception):
    pass


def describe_ssh_error(exc: BaseException, target: SshTarget, known_hosts: Path, key_file: str | None) -> str:
    """Why the check failed, in words an engineer can act on."""
    import paramiko

    where = f"{target.host}:{target.port}"
    if isinstance(exc, paramiko.BadHostKeyException):
        return (f"host key changed: {where} presented {exc.key.get_name()} {fingerprint(exc.key)}, "
                f"{known_hosts} expects {fingerprint(exc.expected_key)}; possible man-in-the-middle "
                f"(if the host was reinstalled, replace its line in {known_hosts})")
    if isinstance(exc, paramiko.AuthenticationException):
        key = f"key {key_file}" if key_file else "the agent / default keys"
        return f"authentication failed for {target.user}@{where} with {key}"
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return f"unreachable: connection refused at {where}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"unreachable: no answer from {where} within the timeout"
    if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in str(exc):
        return f"host key unknown: {target.known_hosts_name} is not in {known_hosts} (refused, not learnt)"
    if isinstance(exc, OSError):
        return f"unreachable: {where}: {exc.strerror or exc}"
    if isinstance(exc, _ProbeFailed):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


def fingerprint(key) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
