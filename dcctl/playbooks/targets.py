"""Which hosts a run reaches, and the inventory ansible-runner gets for them.

The inventory is built in memory from the rack inventory (``dcctl.inventory.export``):
groups ``site_*``, ``hall_*``, ``rack_*``, ``role_*`` and the hosts' variables, plus the
SSH settings every connection uses. Host keys are always verified: an unknown or changed
key makes that host unreachable, it is never learnt.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dcctl.core.errors import InputError
from dcctl.inventory.export import ansible_yaml_inventory, group_name

LIMIT_KINDS = ("rack", "site", "role")
_COMPLEX_PATTERN = re.compile(r"[*?!&~\[\]{}:]")


@dataclass(frozen=True)
class Limit:
    spec: str  # as the engineer typed it: "rack:bgw-a01,bsr-cmp01"
    pattern: str  # the same as an Ansible pattern: "rack_bgw_a01,bsr-cmp01"
    hosts: tuple[str, ...]  # the hosts it selects, sorted


@dataclass(frozen=True)
class SshTrust:
    """How dcctl's SSH connections authenticate hosts and themselves."""

    known_hosts: Path | None = None  # None: OpenSSH's own files (~/.ssh/known_hosts ...)
    key: Path | None = None  # None: OpenSSH's default identities

    def common_args(self) -> str:
        args = ["-o StrictHostKeyChecking=yes", "-o BatchMode=yes"]
        if self.known_hosts is not None:
            args += [f"-o UserKnownHostsFile={self.known_hosts}", "-o GlobalKnownHostsFile=/dev/null"]
        if self.key is not None:
            args.append("-o IdentitiesOnly=yes")
        return " ".join(args)

    def control_path_dir(self, home: Path) -> Path:
        """Persistent SSH connections are shared only between runs that trust the same keys:
        a connection opened under one known_hosts file never serves a run with another."""
        digest = hashlib.sha256(f"{self.known_hosts}|{self.key}".encode()).hexdigest()[:10]
        return home / ".ansible" / "cp" / digest

    def check(self) -> None:
        for label, path in (("known_hosts file", self.known_hosts), ("SSH key", self.key)):
            if path is not None and not Path(path).is_file():
                raise InputError(f"{label} {path} does not exist",
                                 "for the lab: --known-hosts .lab/ssh/known_hosts --ssh-key .lab/ssh/id_ed25519")


def hosts_of(listing: dict[str, Any], group: str) -> set[str]:
    """Hosts of a group of an Ansible ``--list`` inventory, its children's included."""
    body = listing.get(group) or {}
    hosts = set(body.get("hosts") or [])
    for child in body.get("children") or []:
        hosts |= hosts_of(listing, child)
    return hosts


def all_hosts(listing: dict[str, Any]) -> set[str]:
    return set(listing.get("_meta", {}).get("hostvars", {}))


def resolve_limit(spec: str | None, inv, listing: dict[str, Any]) -> Limit | None:
    """``rack:R``, ``site:S``, ``role:X`` or a host name, comma-separated; every item must
    name something in the inventory and together they must select at least one host."""
    if spec is None:
        return None
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or not all(items):
        raise InputError(f"empty --limit {spec!r}",
                         "give rack:RACK, site:SITE, role:ROLE or a host name (comma-separated)")
    known = {"rack": sorted(inv.racks), "site": sorted(inv.sites),
             "role": sorted({d.role.value for d in inv.devices.values()})}
    servers = all_hosts(listing)
    patterns, selected = [], set()
    for item in items:
        kind, sep, name = item.partition(":")
        if sep:
            if kind not in LIMIT_KINDS:
                raise InputError(f"--limit {item!r}: unknown kind '{kind}'",
                                 "use rack:RACK, site:SITE, role:ROLE or a host name")
            if name not in known[kind]:
                raise InputError(f"--limit {item!r}: no {kind} '{name}' in the inventory",
                                 _suggest(name, known[kind], f"{kind}s"))
            group = group_name(kind, name)
            hosts = hosts_of(listing, group)
            if not hosts:
                raise InputError(f"--limit {item!r}: {kind} '{name}' has no server with an SSH endpoint",
                                 "playbooks run on servers (devices with ssh:), not on switches or PDUs")
            patterns.append(group)
        else:
            if item not in servers:
                device = inv.devices.get(item)
                if device is not None:
                    raise InputError(f"--limit {item!r}: {item} ({device.role.value}) has no SSH endpoint",
                                     "playbooks run on servers with ssh: in the inventory")
                raise InputError(f"--limit {item!r}: no host '{item}' in the inventory",
                                 _suggest(item, sorted(servers), "hosts"))
            hosts = {item}
            patterns.append(item)
        selected |= hosts
    return Limit(spec, ",".join(patterns), tuple(sorted(selected)))


def play_hosts(listing: dict[str, Any], patterns: tuple[str, ...]) -> set[str] | None:
    """Hosts the plays target, when their patterns are plain group or host names
    (``all``, ``role_compute``); None when a pattern is too rich to tell without Ansible."""
    result: set[str] = set()
    for pattern in patterns:
        for part in str(pattern).split(","):
            part = part.strip()
            if not part or _COMPLEX_PATTERN.search(part):
                return None
            if part == "all":
                result |= all_hosts(listing)
            elif part in listing and part != "_meta":
                result |= hosts_of(listing, part)
            elif part in all_hosts(listing):
                result.add(part)
    return result


def runner_inventory(inv, trust: SshTrust) -> dict[str, Any]:
    """The static inventory ansible-runner writes for Ansible: the rack inventory's groups and
    host variables, with the SSH settings under ``all.vars``."""
    static = ansible_yaml_inventory(inv)
    conn: dict[str, Any] = {"ansible_ssh_common_args": trust.common_args()}
    if trust.key is not None:
        conn["ansible_ssh_private_key_file"] = str(trust.key)
    static["all"]["vars"] = {**static["all"].get("vars", {}), **conn}
    return static


def _suggest(name: str, candidates: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    shown = ", ".join(candidates[:12]) + (" ..." if len(candidates) > 12 else "")
    return (f"did you mean '{close[0]}'? " if close else "") + f"{what}: {shown}"
