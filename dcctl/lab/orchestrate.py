"""Bring the lab up, down, and report on it.

``up`` is idempotent: a service whose recorded process is running and answering
is left alone, so a second ``up`` only checks. Services start concurrently, each
as soon as the services it depends on are up; on a failure, ``up`` stops what
it started itself and raises a ``ServiceError`` with the failing service's log tail.
``down`` stops, by the PID files in the state dir, exactly what the lab started.

Optional parts of a service, beyond ``LabService``: ``prepare_needs_dependencies = False``
lets its ``prepare`` run while its dependencies start; ``start(lab)`` / ``stop(lab)``
replace the single-process start and stop. ``lab.facts`` is kept in ``<state>/facts.json``
between runs; ``env`` exports its upper-case entries and those of any ``env`` or
``<name>_env`` dict in it (e.g. ``bmc_env``).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import import_module

from dcctl.core.errors import ServiceError
from dcctl.lab import install, process
from dcctl.lab.service import Lab, LabService
from dcctl.lab.services import REGISTRY

CLOUD = "dcctl-lab"
READER_CLOUD = "dcctl-lab-reader"
READER_SYSTEM_CLOUD = "dcctl-lab-reader-system"

Say = Callable[[str], None]


@dataclass
class Outcome:
    """What ``up`` did with one service."""

    name: str
    action: str  # "started", "already up", "skipped", "failed", "not started"
    seconds: float = 0.0
    note: str = ""


@dataclass
class StatusRow:
    name: str
    state: str  # "up", "starting" (running, not answering), "down", "absent" (module not written yet)
    url: str
    pid: int | None
    rss: int  # bytes, the service and its workers


def available_services(names: list[str] | None = None) -> tuple[dict[str, LabService], dict[str, str]]:
    """The lab's services whose module exists, in start order, and a note for each that does not."""
    services: dict[str, LabService] = {}
    missing: dict[str, str] = {}
    for name in names or list(REGISTRY):
        module_name, cls = REGISTRY[name].split(":")
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            missing[name] = f"{module_name} is not written yet"
            continue
        services[name] = getattr(module, cls)()
    return services, missing


def selection(only: list[str] | None) -> list[str]:
    """The services to bring up: ``only`` (all when None) plus what they depend on, in start order."""
    if not only:
        return list(REGISTRY)
    unknown = [name for name in only if name not in REGISTRY]
    if unknown:
        raise ServiceError(f"lab: unknown service(s) {', '.join(unknown)}",
                           hint=f"choose among: {', '.join(REGISTRY)}")
    wanted = set(only)
    pending = list(only)
    while pending:
        name = pending.pop()
        services, _ = available_services([name])
        for dep in getattr(services.get(name), "depends_on", ()):
            if dep not in wanted:
                wanted.add(dep)
                pending.append(dep)
    return [name for name in REGISTRY if name in wanted]


def running(lab: Lab, service: LabService) -> bool:
    return process.pid_of(lab.paths, service.name) is not None


def up(lab: Lab, only: list[str] | None = None, say: Say = lambda _m: None) -> list[Outcome]:
    """Start the lab's services (or ``only`` these and their dependencies) and wait until they answer."""
    lab.paths.ensure()
    with open(lab.paths.run / "up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second concurrent `up` waits, then finds everything up
        return _up(lab, only, say)


def _up(lab: Lab, only: list[str] | None, say: Say) -> list[Outcome]:
    services, missing = available_services(selection(only))
    outcomes = {name: Outcome(name, "skipped", note=note) for name, note in missing.items()}
    for name, note in missing.items():
        say(f"{name}: skipped ({note})")
    if services:
        _install(lab, list(services.values()), say)
    lab.paths.ensure()
    lab.facts.update(_load_facts(lab))

    started: list[str] = []  # by this call, in start order
    done = {name: threading.Event() for name in services}
    failed = threading.Event()
    errors: dict[str, str] = {}
    lock = threading.Lock()

    def bring_up(service: LabService) -> None:
        name = service.name
        t0 = time.monotonic()
        try:
            if running(lab, service) and service.is_ready(lab):
                outcomes[name] = Outcome(name, "already up", time.monotonic() - t0)
                return
            if running(lab, service):  # started, not answering yet (e.g. another `up` is starting it)
                _wait_ready(lab, service, failed)
                outcomes[name] = Outcome(name, "already up", time.monotonic() - t0)
                return
            # A service may prepare (write config, build its database) while its dependencies
            # start, if it says it does not need them for that; by default it waits.
            early = not getattr(service, "prepare_needs_dependencies", True)
            if early:
                service.prepare(lab)
            for dep in service.depends_on:
                _wait_for_dependency(lab, name, dep, done, failed)
            if not early and not failed.is_set():
                service.prepare(lab)
            if failed.is_set():
                outcomes[name] = Outcome(name, "not started")
                return
            with lock:
                started.append(name)
            custom_start = getattr(service, "start", None)
            if callable(custom_start):
                custom_start(lab)
            else:
                process.start(lab.paths, name, service.argv(lab), env=service.env(lab))
            say(f"{name}: starting")
            _wait_ready(lab, service, failed)
            service.post_start(lab)
            outcomes[name] = Outcome(name, "started", time.monotonic() - t0)
            say(f"{name}: up at {service.url(lab)} ({time.monotonic() - t0:.1f}s)")
        except _Aborted:
            outcomes[name] = Outcome(name, "not started")
        except Exception as exc:  # noqa: BLE001 - any failure of one service fails `up`, with its log
            with lock:
                errors[name] = str(exc)
            outcomes[name] = Outcome(name, "failed", time.monotonic() - t0, note=str(exc))
            failed.set()
        finally:
            done[name].set()

    threads = [threading.Thread(target=bring_up, args=(s,), name=f"lab-up-{n}") for n, s in services.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _save_facts(lab)

    if errors:
        for name in reversed(started):
            _stop_service(lab, name, services.get(name))
        name, message = next(iter(errors.items()))
        raise ServiceError(
            f"lab: {name} failed: {message}\n--- last lines of {lab.paths.log(name)}:\n"
            f"{process.log_tail(lab.paths, name)}",
            hint=f"stopped what this `up` had started ({', '.join(started) or 'nothing'}); "
                 f"fix the cause and run `dcctl lab up` again")
    if "keystone" in services:
        write_clouds_yaml(lab)
    return [outcomes[name] for name in selection(only) if name in outcomes]


class _Aborted(Exception):
    """Another service failed while this one was waiting."""


def _wait_for_dependency(lab: Lab, name: str, dep: str, done: dict[str, threading.Event],
                         failed: threading.Event) -> None:
    if dep in done:
        while not done[dep].wait(0.2):
            if failed.is_set():
                raise _Aborted
        if failed.is_set():
            raise _Aborted
        return
    if process.pid_of(lab.paths, dep) is None:
        raise ServiceError(f"{name} needs {dep}, which is neither running nor available to start")


def _wait_ready(lab: Lab, service: LabService, failed: threading.Event) -> None:
    deadline = time.monotonic() + service.ready_timeout
    while not service.is_ready(lab):
        if failed.is_set():
            raise _Aborted
        if process.pid_of(lab.paths, service.name) is None:
            raise ServiceError("its process exited during start-up")
        if time.monotonic() > deadline:
            raise ServiceError(f"did not answer at {service.url(lab)} within {service.ready_timeout:.0f}s")
        time.sleep(0.3)


def _install(lab: Lab, services: list[LabService], say: Say) -> None:
    if any(s.needs_venv for s in services):
        install.ensure_venv(lab.paths, say)
    packages = [p for s in services for p in s.apt_packages]
    if packages:
        install.ensure_packages(lab.paths, packages, say)


def _stop_service(lab: Lab, name: str, service: LabService | None) -> bool:
    custom_stop = getattr(service, "stop", None)
    if callable(custom_stop):
        return bool(custom_stop(lab))
    return process.stop(lab.paths, name)


def stop(lab: Lab, names: list[str], say: Say = lambda _m: None) -> list[str]:
    """Stop these services (e.g. the ones an ``up`` reported as started), last in start order first."""
    services, _ = available_services([n for n in names if n in REGISTRY])
    stopped = []
    for name in reversed([n for n in REGISTRY if n in names]):
        if _stop_service(lab, name, services.get(name)):
            stopped.append(name)
            say(f"{name}: stopped")
    return stopped


def down(lab: Lab, say: Say = lambda _m: None) -> list[str]:
    """Stop every process the lab started (by its PID files), last started first. Returns their names."""
    services, _ = available_services()
    stopped = []
    for name in reversed(list(REGISTRY)):
        if _stop_service(lab, name, services.get(name)):
            stopped.append(name)
            say(f"{name}: stopped")
    # processes recorded under other names (e.g. one per rack host)
    for pidfile in sorted(lab.paths.run.glob("*.pid")) if lab.paths.run.exists() else []:
        if process.stop(lab.paths, pidfile.stem):
            stopped.append(pidfile.stem)
            say(f"{pidfile.stem}: stopped")
    return stopped


def status(lab: Lab) -> tuple[list[StatusRow], int]:
    """Each service's state, URL, PID and memory; and the lab's total RSS in bytes."""
    services, missing = available_services()
    rows = []
    for name in REGISTRY:
        if name in missing:
            rows.append(StatusRow(name, "absent", "", None, 0))
            continue
        service = services[name]
        pid = process.pid_of(lab.paths, name)
        state = "down" if pid is None else ("up" if service.is_ready(lab) else "starting")
        rows.append(StatusRow(name, state, service.url(lab), pid, process.rss_bytes(pid) if pid else 0))
    return rows, sum(row.rss for row in rows)


def env(lab: Lab) -> list[str]:
    """``export`` lines for a shell: the lab's clouds.yaml and cloud, plus what services published."""
    import shlex

    exports = {"OS_CLIENT_CONFIG_FILE": str(lab.paths.clouds_yaml), "OS_CLOUD": CLOUD,
               "DCCTL_EXPORTER_CLOUD": f"{CLOUD}-reader"}  # the exporter reads, never writes
    facts = {**_load_facts(lab), **lab.facts}
    # published environment: top-level NAME facts, and the dicts under "env" or "<service>_env"
    candidates = dict(facts)
    for key, value in facts.items():
        if (key == "env" or key.endswith("_env")) and isinstance(value, dict):
            candidates.update(value)
    for key, value in candidates.items():
        if key.isupper() and key.replace("_", "").isalnum() and isinstance(value, (str, int, float)):
            exports[key] = str(value)
    return [f"export {key}={shlex.quote(value)}" for key, value in exports.items()]


def write_clouds_yaml(lab: Lab) -> None:
    """clouds.yaml with the admin cloud and the read-only clouds (mode 0600: it holds passwords)."""
    import yaml

    from dcctl.lab.services.keystone import ADMIN_PROJECT, ADMIN_USER, READER_USER, REGION
    from dcctl.lab.services.openstack_api import password

    auth_url = lab.url("keystone", "/v3")

    def cloud(user: str, scope: dict) -> dict:
        return {"auth": {"auth_url": auth_url, "username": user, "password": password(lab.paths, user),
                         "user_domain_name": "Default", **scope},
                "region_name": REGION, "interface": "public", "identity_api_version": 3}

    project = {"project_name": ADMIN_PROJECT, "project_domain_name": "Default"}
    clouds = {"clouds": {
        CLOUD: cloud(ADMIN_USER, project),
        READER_CLOUD: cloud(READER_USER, project),
        READER_SYSTEM_CLOUD: cloud(READER_USER, {"system_scope": "all"}),
    }}
    text = "# Generated by `dcctl lab up`; passwords live in secrets.json next to it.\n" + \
        yaml.safe_dump(clouds, sort_keys=False)
    path = lab.paths.clouds_yaml
    if path.exists() and path.read_text() == text:
        return
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(path.with_suffix(".tmp"), path)


def _facts_file(lab: Lab):
    return lab.paths.root / "facts.json"


def _load_facts(lab: Lab) -> dict:
    try:
        return json.loads(_facts_file(lab).read_text())
    except (OSError, ValueError):
        return {}


def _save_facts(lab: Lab) -> None:
    path = _facts_file(lab)
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(lab.facts, out, indent=1, sort_keys=True, default=str)
    os.replace(path.with_suffix(".tmp"), path)


def outcomes_as_dicts(outcomes: list[Outcome]) -> list[dict]:
    return [asdict(o) for o in outcomes]
