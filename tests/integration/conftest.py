"""The lab, once per test session: reused when it is already up, else started and stopped at the end.

Every test under ``tests/integration`` is marked ``lab``. ``DCCTL_LAB_DIR`` picks the
lab's state dir; ``DCCTL_LAB_ONLY=a,b`` limits the session to some services (and their
dependencies), for work on one part of the lab.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.lab)


def _only() -> list[str] | None:
    value = os.environ.get("DCCTL_LAB_ONLY", "")
    return [n.strip() for n in value.split(",") if n.strip()] or None


@pytest.fixture(scope="session")
def lab():
    """The running lab (``dcctl.lab.service.Lab``); OS_CLIENT_CONFIG_FILE points at its clouds.yaml."""
    from dcctl.lab import orchestrate
    from dcctl.lab.paths import LabPaths
    from dcctl.lab.service import Lab

    the_lab = Lab(paths=LabPaths.default(), inventory_dir=ROOT / "inventory")
    outcomes = orchestrate.up(the_lab, only=_only())  # checks and returns when already up
    started = [o.name for o in outcomes if o.action == "started"]
    saved = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(the_lab.paths.clouds_yaml)
    try:
        yield the_lab
    finally:
        if saved is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = saved
        if started:
            orchestrate.stop(the_lab, started)


def _require(lab, *names: str) -> None:
    from dcctl.lab import process

    down = [n for n in names if process.pid_of(lab.paths, n) is None]
    if down:
        pytest.skip(f"lab service(s) not running in this session: {', '.join(down)}")


@pytest.fixture(scope="session")
def admin_cloud(lab):
    """openstacksdk connection as the lab's admin (cloud ``dcctl-lab``)."""
    import openstack

    _require(lab, "keystone")
    conn = openstack.connect(cloud="dcctl-lab")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def reader_cloud(lab):
    """openstacksdk connection as the read-only account, scoped to the admin project."""
    import openstack

    _require(lab, "keystone")
    conn = openstack.connect(cloud="dcctl-lab-reader")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server from Debian's packages, on loopback, for the audit log and lock tests."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from pgserver import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def require(lab):
    """``require("neutron", ...)``: skip the test unless those lab services run."""
    return lambda *names: _require(lab, *names)
