"""What every lab service provides, so ``lab up/down/status`` can treat them alike.

A service module (``dcctl/lab/services/<name>.py``) defines one subclass of
``LabService``. ``lab up`` calls, in dependency order: ``prepare`` (write its
config, create its database: idempotent and quick when already done), starts
``argv()`` through ``dcctl.lab.process``, polls ``is_ready`` until a timeout,
then runs ``post_start`` (e.g. register endpoints, create accounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from dcctl.lab.paths import LabPaths

# Fixed loopback ports, so URLs are stable between runs and documented in one place.
HOST = "127.0.0.1"
PORTS: dict[str, int] = {
    "keystone": 25000,
    "neutron": 25696,
    "nova": 25774,
    "cinder": 25776,
    "placement": 25778,
    "ironic": 26385,
    "bmc": 28443,  # the Redfish emulator, bound on each BMC's own 127.0.20.x address
    "prometheus": 29090,
    "exporter": 9180,
}


@dataclass
class Lab:
    """What services need to know about the lab they are part of."""

    paths: LabPaths
    inventory_dir: object = None  # pathlib.Path of the rack inventory the lab serves
    facts: dict = field(default_factory=dict)  # values one service publishes for another

    def url(self, service: str, path: str = "") -> str:
        return f"http://{HOST}:{PORTS[service]}{path}"


class LabService:
    name: ClassVar[str]
    depends_on: ClassVar[tuple[str, ...]] = ()
    ready_timeout: ClassVar[float] = 60.0
    apt_packages: ClassVar[tuple[str, ...]] = ()  # Debian packages it needs (installed by lab install)
    needs_venv: ClassVar[bool] = True  # runs from the lab's virtualenv

    def url(self, lab: Lab) -> str:
        return lab.url(self.name)

    def prepare(self, lab: Lab) -> None:
        """Write config and initialise storage; must be idempotent."""

    def argv(self, lab: Lab) -> list[str]:
        raise NotImplementedError

    def env(self, lab: Lab) -> dict[str, str]:
        return {}

    def is_ready(self, lab: Lab) -> bool:
        raise NotImplementedError

    def post_start(self, lab: Lab) -> None:
        """Work that needs the service up (catalog entries, accounts); must be idempotent."""
