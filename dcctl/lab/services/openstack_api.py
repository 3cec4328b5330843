"""What the lab's OpenStack API services share: gunicorn serving, config files,
one-off management commands, and the lab's generated passwords.

Each API runs as its WSGI app under gunicorn from the lab venv, through the
``lab_wsgi`` wrapper in ``dcctl/lab/files/wsgi`` (it sets ``sys.argv`` for the app).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path
from typing import ClassVar

from dcctl.core.errors import ServiceError
from dcctl.lab import process
from dcctl.lab.paths import FILES, LabPaths
from dcctl.lab.service import HOST, PORTS, Lab, LabService

WSGI_DIR = FILES / "wsgi"
SERVICE_PROJECT = "service"
_SECRETS_LOCK = threading.Lock()


def password(paths: LabPaths, account: str) -> str:
    """The lab's password for ``account``, generated once and kept in the state dir (mode 0600)."""
    store = paths.root / "secrets.json"
    paths.root.mkdir(parents=True, exist_ok=True)
    with _SECRETS_LOCK, open(paths.root / "secrets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # services prepare concurrently, maybe in two processes
        known = json.loads(store.read_text()) if store.exists() else {}
        if account not in known:
            known[account] = secrets.token_urlsafe(18)
            tmp = store.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(known, out, indent=1, sort_keys=True)
            os.replace(tmp, store)
        return known[account]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def write_ini(path: Path, sections: dict[str, dict[str, object]]) -> None:
    """Write an oslo.config file (mode 0600: it holds passwords), only when its content changes."""
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in options.items())
        lines.append("")
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def run_tool(lab: Lab, service: str, argv: list[str], env: dict[str, str] | None = None,
             timeout: float = 300) -> None:
    """Run a management command (db sync, bootstrap), output to the service's log; raise on failure."""
    lab.paths.ensure()
    full_env = dict(os.environ, **(env or {}))
    started = time.monotonic()
    with open(lab.paths.log(service), "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} running: {Path(argv[0]).name} "
                  f"{' '.join(a for a in argv[1:] if not a.startswith('--bootstrap-password'))}\n"
                  .encode())
        log.flush()
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, timeout=timeout)
        log.write(f"=== exit {result.returncode} after {time.monotonic() - started:.1f}s\n".encode())
    if result.returncode != 0:
        raise ServiceError(
            f"lab {service}: `{Path(argv[0]).name} {' '.join(argv[1:3])}...` failed "
            f"(exit {result.returncode}); see {lab.paths.log(service)}",
            hint="fix the cause above, then run `dcctl lab up` again")


def authtoken(lab: Lab, account: str) -> dict[str, object]:
    """The ``[keystone_authtoken]`` section of a service that validates tokens as ``account``."""
    keystone = lab.url("keystone")
    return {
        "www_authenticate_uri": f"{keystone}/v3",
        "auth_url": f"{keystone}/v3",
        "auth_type": "password",
        "username": account,
        "password": password(lab.paths, account),
        "user_domain_name": "Default",
        "project_name": SERVICE_PROJECT,
        "project_domain_name": "Default",
        "interface": "internal",
        "region_name": "RegionOne",
        "service_token_roles_required": "true",
    }


class GunicornApp(LabService):
    """An OpenStack WSGI API served by gunicorn from the lab venv on its fixed loopback port."""

    wsgi_module: ClassVar[str]  # e.g. "nova.wsgi.osapi_compute"
    workers: ClassVar[int] = 1
    threads: ClassVar[int] = 4
    ready_path: ClassVar[str] = "/"
    # config and database need only the lab's passwords, so they are built while Keystone starts
    prepare_needs_dependencies: ClassVar[bool] = False

    def app_args(self, lab: Lab) -> list[str]:
        """What the app sees as ``sys.argv[1:]``."""
        return []

    def app_env(self, lab: Lab) -> dict[str, str]:
        return {}

    def argv(self, lab: Lab) -> list[str]:
        return [
            str(lab.paths.bin("gunicorn")),
            "--bind", f"{HOST}:{PORTS[self.name]}",
            "--workers", str(self.workers),
            "--worker-class", "gthread", "--threads", str(self.threads),
            "--timeout", "120", "--graceful-timeout", "3",
            "--name", f"dcctl-lab-{self.name}",
            "--no-control-socket",  # gunicorn 27 otherwise shares one socket in ~/.gunicorn
            "--pythonpath", str(WSGI_DIR),
            "lab_wsgi:application",
        ]

    def env(self, lab: Lab) -> dict[str, str]:
        return {
            "DCCTL_LAB_WSGI": self.wsgi_module,
            "DCCTL_LAB_PROG": f"{self.name}-api",
            "DCCTL_LAB_ARGS": json.dumps(self.app_args(lab)),
            **self.app_env(lab),
        }

    def is_ready(self, lab: Lab) -> bool:
        return process.http_answers(self.url(lab) + self.ready_path, timeout=5)

    def initialised(self, lab: Lab) -> Path:
        """Marker written once the service's database is built."""
        return lab.paths.data(self.name) / ".initialised"
