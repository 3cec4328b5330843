"""One playbook run through ansible-runner, with its events turned into live per-host outcomes."""

from __future__ import annotations

import json
import re
import shlex
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcctl.playbooks.catalog import Playbook
from dcctl.playbooks.recap import RunRecap, TaskOutcome
from dcctl.playbooks.targets import Limit, SshTrust


@dataclass(frozen=True)
class RunRequest:
    playbook: Playbook
    playbooks_dir: Path
    inventory: dict[str, Any]  # runner_inventory(): built in memory from the rack inventory
    trust: SshTrust
    limit: Limit | None = None
    check: bool = False
    diff: bool = False
    tags: tuple[str, ...] = ()
    forks: int | None = None  # None: playbooks/ansible.cfg's
    verbosity: int = 0

    def cmdline(self) -> list[str]:
        args = []
        if self.check:
            args.append("--check")
        if self.diff:
            args.append("--diff")
        if self.tags:
            args += ["--tags", ",".join(self.tags)]
        return args


@dataclass
class RunOutcome:
    recap: RunRecap
    rc: int
    status: str  # ansible-runner's: successful, failed, timeout, canceled
    artifacts: Path
    error: str = ""  # what ansible-playbook said when it stopped before its recap
    events: int = field(default=0)


@dataclass
class Progress:
    """Callbacks for live output; each is optional."""

    task: Callable[[str], None] = lambda _name: None
    result: Callable[[TaskOutcome], None] = lambda _outcome: None


def run_playbook(request: RunRequest, run_id: str, run_dir: Path, progress: Progress | None = None,
                 home: Path | None = None) -> RunOutcome:
    """Run the playbook with ansible-runner in ``run_dir`` (its private data dir, artifacts
    under ``run_dir/artifacts/RUN_ID``); returns the recap whether hosts failed or not."""
    import ansible_runner

    progress = progress or Progress()
    recap = RunRecap()
    counter = {"events": 0}

    def on_event(event: dict[str, Any]) -> bool:
        counter["events"] += 1
        kind = event.get("event", "")
        if kind in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            data = event.get("event_data") or {}
            task = data.get("task") or data.get("name") or ""
            role = data.get("role")
            name = f"{role} : {task}" if role and not task.startswith(f"{role} : ") else task
            progress.task(("HANDLER " if kind == "playbook_on_handler_task_start" else "TASK ") + name)
        outcome = recap.add(event)
        if outcome is not None:
            progress.result(outcome)
        return True

    run_dir.mkdir(parents=True, exist_ok=True)
    home = home or Path.home()
    cp_dir = request.trust.control_path_dir(home)
    cp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    envvars = {
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(cp_dir),
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "PATH": _path_with_ansible(),
    }
    interrupted = {"flag": False}

    def on_sigint(_signum, _frame) -> None:
        interrupted["flag"] = True  # ansible-runner stops ansible-playbook; the recap so far is kept

    previous = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() else None
    try:
        runner = ansible_runner.run(
            private_data_dir=str(run_dir),
            ident=run_id,
            artifact_dir=str(run_dir / "artifacts"),
            project_dir=str(Path(request.playbooks_dir).resolve()),
            playbook=request.playbook.path.name,
            inventory=request.inventory,
            limit=request.limit.pattern if request.limit else None,
            forks=request.forks,
            cmdline=shlex.join(request.cmdline()) or None,
            envvars=envvars,
            verbosity=request.verbosity or None,
            quiet=True,
            suppress_env_files=True,
            event_handler=on_event,
            cancel_callback=lambda: interrupted["flag"],
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    artifacts = Path(runner.config.artifact_dir)
    redact_command_env(artifacts / "command")
    error = ""
    if runner.status == "canceled":
        error = "interrupted (Ctrl-C): hosts not in the recap were not finished"
    elif not recap.stats_seen or (runner.rc != 0 and not recap.bad_hosts):
        error = _tail(artifacts / "stdout") or f"ansible-playbook stopped ({runner.status}, rc {runner.rc})"
    return RunOutcome(recap=recap, rc=runner.rc, status=runner.status, artifacts=artifacts,
                      error=error, events=counter["events"])


_SECRET_NAME = re.compile(r"PASS(WORD|WD)?|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY", re.I)


def redact_command_env(path: Path) -> None:
    """ansible-runner keeps the whole environment of the run in ``artifacts/ID/command``; the
    engineer's shell may hold passwords (``eval "$(dcctl lab env)"`` exports BMC ones)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    env = data.get("env") or {}
    secret = [k for k in env if _SECRET_NAME.search(k)]
    if secret:
        data["env"] = {k: ("***" if k in secret else v) for k, v in env.items()}
        path.write_text(json.dumps(data))


def _path_with_ansible() -> str:
    """PATH with the directory of dcctl's own ansible-playbook (beside this Python) first, so a
    dcctl run from its virtualenv without activating it uses the Ansible installed with it."""
    import os
    import sys

    path = os.environ.get("PATH", os.defpath)
    here = str(Path(sys.executable).parent)
    return os.pathsep.join([here, path]) if (Path(here) / "ansible-playbook").exists() else path


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
