"""The playbooks dcctl can run: the top-level ``*.yml`` files of the playbooks directory.

A playbook's description is its first comment line; its target hosts are the ``hosts:``
of its plays, used to refuse a run whose ``--limit`` cannot meet them before Ansible starts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from dcctl.core.errors import InputError


@dataclass(frozen=True)
class Playbook:
    name: str  # file stem: "site"
    path: Path
    description: str
    hosts: tuple[str, ...]  # the plays' host patterns, as written


def default_playbooks_dir() -> Path:
    """``playbooks/`` of the working directory, else the one beside this checkout's package."""
    here = Path("playbooks")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "playbooks"


def read_playbook(path: Path) -> Playbook:
    import yaml

    text = path.read_text(encoding="utf-8")
    description = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            description = stripped.lstrip("#").strip()
            if description:
                break
        elif stripped and stripped != "---":
            break
    hosts: list[str] = []
    try:
        plays = yaml.safe_load(text) or []
    except yaml.YAMLError:
        plays = []  # ansible-playbook reports the syntax error with its own position
    for play in plays if isinstance(plays, list) else []:
        if isinstance(play, dict) and "hosts" in play:
            value = play["hosts"]
            hosts.extend(value if isinstance(value, list) else [str(value)])
    return Playbook(path.stem, path, description, tuple(hosts))


def list_playbooks(directory: Path) -> list[Playbook]:
    if not Path(directory).is_dir():
        raise InputError(f"no playbooks directory at {directory}",
                         "run from the dcctl checkout or give --playbooks DIR")
    return [read_playbook(p) for p in sorted(Path(directory).glob("*.yml"))]


def find_playbook(directory: Path, name: str) -> Playbook:
    """The playbook called ``name`` (``site`` or ``site.yml``), or an error listing the others."""
    stem = name[:-4] if name.endswith(".yml") else name[:-5] if name.endswith(".yaml") else name
    playbooks = {p.name: p for p in list_playbooks(directory)}
    if stem in playbooks and "/" not in stem:
        return playbooks[stem]
    close = difflib.get_close_matches(stem, playbooks, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise InputError(f"unknown playbook '{name}' in {directory}",
                     f"{hint}playbooks: {', '.join(sorted(playbooks)) or 'none'} (dcctl playbook list)")
