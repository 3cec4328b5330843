"""Start, find, measure and stop the lab's processes, by the PIDs the lab recorded.

Each service runs in its own session (process group), so stopping it reaches its
workers too, and nothing the lab did not start is ever signalled. A PID file
stores the PID with the process start time, so a recycled PID is never mistaken
for ours.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from dcctl.lab.paths import LabPaths


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # field 22 (starttime) counted after the ")" that closes the command name
    return stat.rsplit(")", 1)[1].split()[19]


def start(paths: LabPaths, name: str, argv: list[str], *, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Run ``argv`` detached in its own session, output appended to the service's log."""
    paths.ensure()
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(paths.log(name), "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=full_env, cwd=cwd)
    (paths.run / f"{name}.pid").write_text(f"{proc.pid} {_start_ticks(proc.pid) or ''}\n")
    return proc.pid


def pid_of(paths: LabPaths, name: str) -> int | None:
    """The PID of a running service we started, or None."""
    pidfile = paths.run / f"{name}.pid"
    try:
        pid_text, _, ticks = pidfile.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    current = _start_ticks(pid)
    if current is None or (ticks and current != ticks):
        return None
    if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
        return None
    return pid


def group_members(pid: int) -> list[int]:
    """Processes in the session led by ``pid`` (the service and its workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == pid and fields[0] != "Z":  # same session, not a zombie
            members.append(int(entry.name))
    return members


def rss_bytes(pid: int) -> int:
    """Resident memory of a service and all its workers."""
    total = 0
    for member in group_members(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def stop(paths: LabPaths, name: str, timeout: float = 15.0) -> bool:
    """Stop a service we started (TERM, then KILL after ``timeout``). True if one was running."""
    pidfile = paths.run / f"{name}.pid"
    pid = pid_of(paths, name)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    def running() -> bool:
        return bool(group_members(pid)) or pid_of(paths, name) == pid

    def signal_all(sig: int) -> None:
        try:
            os.killpg(pid, sig)  # the service and its workers
        except ProcessLookupError:
            try:
                os.kill(pid, sig)  # not a group leader (started by hand, e.g. the demo's exporter)
            except ProcessLookupError:
                pass

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running():
        _reap(pid)
        time.sleep(0.1)
    if running():
        signal_all(signal.SIGKILL)
        time.sleep(0.2)
    _reap(pid)
    pidfile.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def http_answers(url: str, timeout: float = 2.0, context=None) -> bool:
    """True when something answers HTTP at ``url`` (any status code counts as an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def log_tail(paths: LabPaths, name: str, lines: int = 30) -> str:
    try:
        text = paths.log(name).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
