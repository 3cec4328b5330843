"""Rack hosts: one real sshd per server of the inventory, each with its own view of the disk.

Every server with an ``ssh`` endpoint in the rack inventory becomes a "host": an OpenSSH
server (Debian's ``/usr/sbin/sshd``) listening on the server's own loopback address and
port, with its own ed25519 host key, accepting only the lab's client key.

Each host runs in its own namespaces, started by ``unshare`` as root::

    unshare --pid --fork --kill-child --mount --uts --mount-proc --propagation private \\
        /bin/sh <state>/data/hosts/<name>/boot.sh

``boot.sh`` mounts a private tmpfs on ``/run``, an overlay on ``/etc``, ``/var``,
``/usr``, ``/opt`` and ``/srv`` (lower: the machine's directory; upper and work dirs in the
host's state folder), the host's own fresh ``/root``, ``/home`` and ``/tmp`` (bind mounts of
dirs in its state folder: the machine's root account, its keys and dotfiles, are not
visible on the hosts), its lab-managed sshd config read-only on ``/etc/dcctl-lab``, sets
the host name (``hostname`` answers the server's name), then execs ``sshd -D``. A file
written over SSH (``/etc/chrony/chrony.conf``, a package a playbook installs...) lands in
that host's upper dir only: neither the machine nor another host sees it. The host's
``/usr/bin/python3`` is the machine's, seen through the overlay, so Ansible works against
a lab host.

Process model: the service's single process is a small bash supervisor (``launch.sh``)
that starts every host in the background and waits, logging (with the tail of that host's
log) any host that stops. All of them share the
supervisor's session, so ``lab down`` (TERM, then KILL, to that process group) reaches
every ``unshare``. Each ``sshd`` is PID 1 of its own PID namespace, and ``unshare
--kill-child`` kills it when ``unshare`` dies; when a namespace's PID 1 dies the kernel
kills every process left in it, including the per-connection sshd children and user
sessions (which ``setsid`` out of the supervisor's session). So stopping the service stops
exactly the sshds it started, and their sessions, and nothing else on the machine.

Facts published in ``lab.facts`` (see ``RackHosts.facts``): ``ssh_key`` (private key
path), ``ssh_public_key``, ``ssh_user``, ``known_hosts``, ``ssh_config`` (an OpenSSH client
config with one ``Host`` entry per host name) and ``rack_hosts`` (name -> host, port,
user, host key, state dir).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dcctl.lab import process
from dcctl.lab.service import Lab, LabService

# Directories each host sees through its own overlay (skipped when the lab's state lives
# inside one of them, since an overlay's upper dir cannot sit inside its lower dir).
OVERLAID = ("/etc", "/var", "/usr", "/opt", "/srv")
# Directories each host has to itself, fresh (not the machine's: no secrets of the
# machine's root account on the hosts): a bind mount of a dir in the host's state folder.
OWN = ("/root", "/home", "/tmp")
STAGE = "/run/dcctl-host"
STARTUP_GRACE = 10  # seconds: a host stopping this soon after launch fails the service  # where boot.sh sees the host's state dir while it mounts
SSHD = "/usr/sbin/sshd"
KEYGEN = "/usr/bin/ssh-keygen"
CONF_MOUNT = "/etc/dcctl-lab"  # where a host sees its lab-managed sshd config (read-only)


@dataclass(frozen=True)
class RackHost:
    name: str
    host: str
    port: int
    user: str = "root"

    @property
    def known_hosts_name(self) -> str:
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def _default_inventory_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "inventory"


def inventory_hosts(inventory_dir: Path | None) -> list[RackHost]:
    """The servers of the rack inventory that have an SSH endpoint, sorted by name."""
    directory = Path(inventory_dir) if inventory_dir else _default_inventory_dir()
    try:
        from dcctl.inventory import load_inventory

        inventory, _problems = load_inventory(directory)
        hosts = [RackHost(d.name, str(d.ssh.host), int(d.ssh.port), d.ssh.user)
                 for d in inventory.servers() if d.ssh is not None]
    except Exception:  # noqa: BLE001 - the typed loader may not be there or may reject a file
        hosts = _yaml_hosts(directory)
    return sorted(hosts, key=lambda h: h.name)


def _yaml_hosts(directory: Path) -> list[RackHost]:
    import yaml

    hosts: dict[str, RackHost] = {}
    for path in sorted(directory.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        for device in data.get("devices") or []:
            ssh = device.get("ssh")
            if not ssh or device.get("role") not in ("controller", "compute", "storage"):
                continue
            hosts[device["name"]] = RackHost(device["name"], str(ssh["host"]),
                                             int(ssh.get("port", 22)), ssh.get("user", "root"))
    return list(hosts.values())


def _write_if_changed(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    os.chmod(path, mode)


def _keygen(path: Path, comment: str) -> None:
    """Create an ed25519 key pair once; an existing key is kept."""
    if path.exists() and path.with_suffix(".pub").exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)


def _inside(path: Path, directory: str) -> bool:
    try:
        path.resolve().relative_to(directory)
        return True
    except ValueError:
        return False


class RackHosts(LabService):
    name = "hosts"
    ready_timeout = 30.0
    apt_packages = ("openssh-server",)  # brings openssh-client (ssh-keygen)
    needs_venv = False

    # -- layout ---------------------------------------------------------------------
    def ssh_dir(self, lab: Lab) -> Path:
        return lab.paths.known_hosts.parent

    def client_key(self, lab: Lab) -> Path:
        return self.ssh_dir(lab) / "id_ed25519"

    def host_dir(self, lab: Lab, host: RackHost) -> Path:
        return lab.paths.data(self.name) / host.name

    def hosts(self, lab: Lab) -> list[RackHost]:
        return inventory_hosts(lab.inventory_dir)

    def facts(self, lab: Lab) -> dict:
        key = self.client_key(lab)
        hosts = self.hosts(lab)
        return {
            "ssh_key": str(key),
            "ssh_public_key": str(key.with_suffix(".pub")),
            "ssh_user": "root",
            "known_hosts": str(lab.paths.known_hosts),
            "ssh_config": str(self.ssh_dir(lab) / "ssh_config"),
            # exported by `dcctl lab env` for `dcctl rack check`
            "hosts_env": {"DCCTL_KNOWN_HOSTS": str(lab.paths.known_hosts), "DCCTL_SSH_KEY": str(key)},
            "rack_hosts": {
                h.name: {"host": h.host, "port": h.port, "user": h.user,
                         "host_key": str(self.host_dir(lab, h) / "conf" / "ssh_host_ed25519_key.pub"),
                         "dir": str(self.host_dir(lab, h))}
                for h in hosts
            },
        }

    def url(self, lab: Lab) -> str:
        hosts = self.hosts(lab)
        return f"ssh://{hosts[0].host}:{hosts[0].port} (+{len(hosts) - 1} more)" if hosts else "ssh://"

    # -- lifecycle --------------------------------------------------------------------
    def prepare(self, lab: Lab) -> None:
        for tool in (SSHD, KEYGEN, "/usr/bin/unshare"):
            if not Path(tool).exists():
                raise RuntimeError(f"{tool} is missing (apt-get install openssh-server openssh-client)")
        if os.geteuid() != 0:
            raise RuntimeError("rack hosts need root (mount namespaces and overlays)")
        hosts = self.hosts(lab)
        if not hosts:
            raise RuntimeError(f"no server with an ssh endpoint in {lab.inventory_dir}")
        ssh_dir = self.ssh_dir(lab)
        ssh_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(ssh_dir, 0o700)
        key = self.client_key(lab)
        _keygen(key, "dcctl-lab")
        os.chmod(key, 0o600)
        authorized = key.with_suffix(".pub").read_text()

        state_root = lab.paths.root
        overlaid = [d for d in OVERLAID if Path(d).is_dir() and not _inside(state_root, d)]
        known, client_config = [], []
        boots = []
        for host in hosts:
            hdir = self.host_dir(lab, host)
            conf = hdir / "conf"
            _keygen(conf / "ssh_host_ed25519_key", f"{host.name}@dcctl-lab")
            _write_if_changed(conf / "authorized_keys", authorized)
            _write_if_changed(conf / "sshd_config", self._sshd_config(host))
            for d in overlaid:
                for layer in ("upper", "work"):
                    (hdir / layer / d.strip("/")).mkdir(parents=True, exist_ok=True)
            self._own_dirs(hdir)
            boot = hdir / "boot.sh"
            _write_if_changed(boot, self._boot_script(lab, host, hdir, overlaid), 0o755)
            boots.append(boot)
            pub = (conf / "ssh_host_ed25519_key.pub").read_text().split()
            known.append(f"{host.known_hosts_name} {pub[0]} {pub[1]}\n")
            client_config.append(
                f"Host {host.name} {host.host}\n"
                f"    HostName {host.host}\n    Port {host.port}\n    User {host.user}\n"
                f"    IdentityFile {key}\n    IdentitiesOnly yes\n"
                f"    UserKnownHostsFile {lab.paths.known_hosts}\n"
                f"    StrictHostKeyChecking yes\n\n")
        _write_if_changed(lab.paths.known_hosts, "".join(known))
        _write_if_changed(ssh_dir / "ssh_config", "".join(client_config))
        _write_if_changed(lab.paths.etc(self.name) / "launch.sh",
                          self._launch_script(lab, hosts, boots), 0o755)
        lab.facts.update(self.facts(lab))

    def argv(self, lab: Lab) -> list[str]:
        return ["/bin/bash", str(lab.paths.etc(self.name) / "launch.sh")]

    def is_ready(self, lab: Lab) -> bool:
        """Every host's sshd is ours and alive (one live ``unshare`` per host in our
        session: a foreign sshd on the same address cannot pass for one) and answers."""
        pid = process.pid_of(lab.paths, self.name)
        if pid is None:
            return False
        hosts = self.hosts(lab)
        if _live_unshares(pid) != len(hosts):
            return False
        return all(_ssh_banner(h.host, h.port) for h in hosts)

    def post_start(self, lab: Lab) -> None:
        lab.facts.update(self.facts(lab))

    def _own_dirs(self, hdir: Path) -> None:
        for d, mode in (("root", 0o700), ("home", 0o755), ("tmp", 0o1777)):
            (hdir / d).mkdir(parents=True, exist_ok=True)
            os.chmod(hdir / d, mode)
        for name in (".bashrc", ".profile"):  # a fresh Debian root account
            skel, dest = Path("/etc/skel") / name, hdir / "root" / name
            if skel.exists() and not dest.exists():
                shutil.copyfile(skel, dest)

    # -- generated files ----------------------------------------------------------
    def _sshd_config(self, host: RackHost) -> str:
        return "\n".join([
            "# written by dcctl lab (service hosts); seen by the host as " + CONF_MOUNT,
            f"ListenAddress {host.host}:{host.port}",
            f"HostKey {CONF_MOUNT}/ssh_host_ed25519_key",
            f"AuthorizedKeysFile {CONF_MOUNT}/authorized_keys",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "PidFile none",
            "PrintMotd no",
            "AcceptEnv LANG LC_*",
            "MaxStartups 64:30:200",
            "MaxSessions 64",
            "Subsystem sftp internal-sftp",
            "",
        ])

    def _boot_script(self, lab: Lab, host: RackHost, hdir: Path, overlaid: list[str]) -> str:
        q = shlex.quote
        log = lab.paths.logs / f"{self.name}-{host.name}.log"
        stage = STAGE
        lines = [
            "#!/bin/sh",
            f"# rack host {host.name}: run by unshare (own mount, UTS and PID namespaces)",
            "set -e",
            f"exec >>{q(str(log))} 2>&1",
            f'echo "=== $(date "+%F %T") {host.name}: booting on {host.host}:{host.port}"',
            "mount --make-rprivate /",
            *[f"echo 'warning: {d} is not isolated (the lab state dir lives in it)'"
              for d in OVERLAID if d not in overlaid],
            # a private /run first, then the host's state dir staged in it: every later
            # mount reads from the stage, so hiding the state dir (it may live under
            # /tmp or /root) never breaks the boot
            "mount -t tmpfs -o mode=0755,size=64m tmpfs /run",
            f"mkdir -p {stage} && mount --bind {q(str(hdir))} {stage}",
        ]
        for d in overlaid:
            rel = d.strip("/")
            lines.append(f"mount -t overlay overlay -o lowerdir={d},upperdir={stage}/upper/{rel},"
                         f"workdir={stage}/work/{rel} {d}")
        lines += [
            f"mkdir -p {CONF_MOUNT} && mount --bind {stage}/conf {CONF_MOUNT}",
            f"mount -o remount,bind,ro {CONF_MOUNT}",
        ]
        lines += [f"mount --bind {stage}/{d.strip('/')} {d}" for d in OWN]
        lines += [
            f"umount -l {stage} && rmdir {stage}",
            "mkdir -p /run/sshd /run/lock && chmod 0755 /run/sshd",
            f"hostname {q(host.name)}",
            f"echo {q(host.name)} > /etc/hostname",
            f"grep -q ' {host.name}$' /etc/hosts || echo {q(host.host + ' ' + host.name)} >> /etc/hosts",
            f"exec {SSHD} -D -e -f {CONF_MOUNT}/sshd_config",
            "",
        ]
        return "\n".join(lines)

    def _launch_script(self, lab: Lab, hosts: list[RackHost], boots: list[Path]) -> str:
        q = shlex.quote
        lines = [
            "#!/bin/bash",
            "# written by dcctl lab (service hosts): starts every rack host, reports any that stops.",
            "# lab down signals this process group; each sshd dies with its unshare.",
            "declare -A hosts",
            "# on TERM (lab down signals the whole group) reap the hosts before leaving",
            "trap 'trap - TERM INT; wait; exit 143' TERM INT",
        ]
        for host, boot in zip(hosts, boots):
            lines.append("unshare --pid --fork --kill-child --mount --uts --mount-proc "
                         f"--propagation private /bin/sh {q(str(boot))} & hosts[$!]={q(host.name)}")
        log_dir = q(str(lab.paths.logs))
        lines += [
            'echo "started ${#hosts[@]} rack hosts"',
            "booted=$SECONDS",
            "while [ ${#hosts[@]} -gt 0 ]; do",
            "    gone=",
            "    wait -n -p gone; rc=$?",
            '    [ -n "$gone" ] || break',
            '    name=${hosts[$gone]}; unset "hosts[$gone]"',
            '    echo "$(date "+%F %T") rack host $name stopped (exit $rc); last lines of its log:"',
            f'    tail -n 5 {log_dir}/hosts-"$name".log | sed "s/^/    /"',
            # a host that cannot start (address in use...) fails the whole service at once,
            # so `lab up` reports it instead of waiting for its timeout
            f"    if (( SECONDS - booted < {STARTUP_GRACE} )); then",
            '        echo "rack host $name failed to start: stopping every rack host"',
            "        kill -TERM 0",
            "    fi",
            "done",
            "",
        ]
        return "\n".join(lines)


def _live_unshares(session: int) -> int:
    count = 0
    for member in process.group_members(session):
        try:
            comm = Path(f"/proc/{member}/comm").read_text().strip()
            state = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        count += comm == "unshare" and state != "Z"
    return count


def _ssh_banner(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wipe_host(lab: Lab, name: str) -> None:
    """Forget what was written on a host (its overlay upper dirs); the host must be down."""
    hdir = lab.paths.data(RackHosts.name) / name
    for layer in ("upper", "work", "root", "home", "tmp"):
        shutil.rmtree(hdir / layer, ignore_errors=True)
