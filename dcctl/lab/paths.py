"""Where the lab keeps its virtualenv, state, logs, keys and generated configs."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

FILES = Path(__file__).parent / "files"
REQUIREMENTS = FILES / "requirements.txt"


def _source_checkout() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").exists() and (root / "inventory").is_dir() else None


def _default_root() -> Path:
    if os.environ.get("DCCTL_LAB_DIR"):
        return Path(os.environ["DCCTL_LAB_DIR"]).resolve()
    checkout = _source_checkout()
    if checkout is not None:
        return checkout / ".lab"  # git-ignored
    state_home = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return state_home / "dcctl" / "lab"


def _default_venv() -> Path:
    """The venv is keyed by the pinned requirements, so it can be cached across clones."""
    if os.environ.get("DCCTL_LAB_VENV"):
        return Path(os.environ["DCCTL_LAB_VENV"]).resolve()
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "dcctl" / f"lab-venv-{digest}"


@dataclass(frozen=True)
class LabPaths:
    root: Path
    venv: Path

    @classmethod
    def default(cls) -> "LabPaths":
        return cls(root=_default_root(), venv=_default_venv())

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    @property
    def known_hosts(self) -> Path:
        return self.root / "ssh" / "known_hosts"

    def etc(self, service: str) -> Path:
        return self.root / "etc" / service

    def data(self, service: str) -> Path:
        return self.root / "data" / service

    def log(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def ensure(self) -> None:
        for d in (self.root, self.logs, self.run):
            d.mkdir(parents=True, exist_ok=True)
