"""The rack's BMCs: sushy-tools' Redfish emulator (fake systems driver), one system per server.

One gunicorn process (``dcctl/lab/files/bmc/dcctl_bmc_app.py``, a thin extension of
``sushy_tools.emulator.main``) serves every BMC of the inventory: it binds each BMC's own
address (``https://127.0.20.N:28443``), plus ``127.0.0.1:28443`` as an all-systems view for the
lab itself. Each system has the inventory's ``bmc.system_id`` as UUID, the device name as
name, and its NICs' MACs.

TLS: a certificate signed by the lab CA (``dcctl.lab.tls``) for every BMC address and
127.0.0.1; clients verify against ``lab.facts['bmc_ca']``.

Credentials: every ``bmc.credentials: env:NAME`` of the inventory gets its own user and
random password, kept in ``<state>/etc/bmc/credentials.json`` (mode 0600). A BMC accepts
only the credentials the inventory gives it. They are published as the environment a
client of the inventory expects, ``lab.facts['bmc_env'] = {'NAME_USERNAME': ...,
'NAME_PASSWORD': ...}``, plus ``DCCTL_BMC_CA`` (the lab CA, for ``dcctl rack health``).

Hardware health: each system has a Chassis with a dynamic ``Thermal`` (inlet, exhaust and
CPU temperatures with thresholds, fans) and ``Power`` (two PSUs with status, PowerControl
with PowerConsumedWatts), read from ``<state>/data/bmc/sensors.json``. Tests change a
reading with :func:`set_sensors` (a POST to the lab-only ``/lab/v1/sensors/<system>``) and
put the defaults back with :func:`reset_sensors`.

Facts published: ``bmc_ca``, ``bmc_env``, ``bmc_credentials`` (ref -> username/password),
``bmc_systems`` (device name -> address, system_id, credentials ref, username, password,
chassis_id), ``bmc_admin_url`` (the all-systems view) and ``bmc_sensors_file``.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid as uuidlib
from pathlib import Path
from urllib.parse import urlsplit

from dcctl.lab import process, tls
from dcctl.lab.paths import FILES
from dcctl.lab.service import HOST, PORTS, Lab, LabService

APP_DIR = FILES / "bmc"
CHASSIS_NAMESPACE = uuidlib.UUID("6c7b0f2e-3d0a-4f55-9a51-2b1f0e6d4c11")


def _default_inventory_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "inventory"


def inventory_servers(inventory_dir) -> list[dict]:
    """The servers of the inventory that have a BMC, as plain dicts, sorted by name."""
    directory = Path(inventory_dir) if inventory_dir else _default_inventory_dir()
    from dcctl.inventory import load_inventory

    inventory, _problems = load_inventory(directory)
    servers = []
    for d in inventory.servers():
        if d.bmc is None:
            continue
        servers.append({
            "name": d.name,
            "address": str(d.bmc.address),
            "system_id": str(d.bmc.system_id),
            "credentials": str(d.bmc.credentials),
            "nics": [{"name": n.name, "mac": str(n.mac), "pxe": bool(n.pxe)} for n in d.nics],
            "model": getattr(d, "model", None),
            "serial": getattr(d, "serial", None),
            "rack": getattr(d, "rack", None),
            "position": getattr(d, "position", None),
            "power_w": getattr(d, "power_w", None),
            "cpus": getattr(d, "cpus", None),
            "memory_mb": getattr(d, "memory_mb", None),
        })
    return sorted(servers, key=lambda s: s["name"])


def credential_ref(reference: str) -> str:
    """``env:DCCTL_BMC_BAGHDAD`` -> ``DCCTL_BMC_BAGHDAD``."""
    kind, _, name = reference.partition(":")
    if kind != "env" or not name:
        raise ValueError(f"unsupported BMC credential reference {reference!r} (want env:NAME)")
    return name


def _username(ref: str) -> str:
    short = ref.removeprefix("DCCTL_BMC_").lower() or ref.lower()
    return f"lab-{short}".replace("_", "-")


def _bmc_ip(address: str) -> str:
    return urlsplit(address).hostname


class BmcEmulator(LabService):
    name = "bmc"
    ready_timeout = 60.0

    # -- places ---------------------------------------------------------------------------
    def etc(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name)

    def data(self, lab: Lab) -> Path:
        return lab.paths.data(self.name)

    def tls_dir(self, lab: Lab) -> Path:
        return lab.paths.root / "tls"

    def credentials_file(self, lab: Lab) -> Path:
        return self.etc(lab) / "credentials.json"

    def url(self, lab: Lab) -> str:
        return f"https://{HOST}:{PORTS[self.name]}"

    def servers(self, lab: Lab) -> list[dict]:
        return inventory_servers(lab.inventory_dir)

    # -- credentials ----------------------------------------------------------------------
    def credentials(self, lab: Lab, refs: list[str] | None = None) -> dict[str, dict[str, str]]:
        """ref -> {username, password}; new refs get a random password (kept, mode 0600)."""
        path = self.credentials_file(lab)
        known = json.loads(path.read_text()) if path.exists() else {}
        missing = [r for r in (refs or []) if r not in known]
        if missing:
            for ref in missing:
                known[ref] = {"username": _username(ref), "password": secrets.token_urlsafe(18)}
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(known, out, indent=1, sort_keys=True)
            os.replace(tmp, path)
        return known

    def facts(self, lab: Lab) -> dict:
        servers = self.servers(lab)
        creds = self.credentials(lab, sorted({credential_ref(s["credentials"]) for s in servers}))
        env = {}
        for ref, c in creds.items():
            env[f"{ref}_USERNAME"] = c["username"]
            env[f"{ref}_PASSWORD"] = c["password"]
        systems = {}
        for s in servers:
            ref = credential_ref(s["credentials"])
            systems[s["name"]] = {
                "address": s["address"], "system_id": s["system_id"], "credentials": s["credentials"],
                "username": creds[ref]["username"], "password": creds[ref]["password"],
                "chassis_id": str(uuidlib.uuid5(CHASSIS_NAMESPACE, s["system_id"])),
                "macs": [n["mac"] for n in s["nics"]],
            }
        env["DCCTL_BMC_CA"] = str(self.tls_dir(lab) / "ca.pem")  # for dcctl rack health
        return {
            "bmc_ca": str(self.tls_dir(lab) / "ca.pem"),
            "bmc_env": env,
            "bmc_credentials": creds,
            "bmc_systems": systems,
            "bmc_admin_url": self.url(lab),
            "bmc_sensors_file": str(self.data(lab) / "sensors.json"),
        }

    # -- lifecycle ------------------------------------------------------------------------
    def prepare(self, lab: Lab) -> None:
        servers = self.servers(lab)
        if not servers:
            raise RuntimeError(f"no server with a BMC in the inventory {lab.inventory_dir}")
        etc, data = self.etc(lab), self.data(lab)
        etc.mkdir(parents=True, exist_ok=True)
        (data / "state").mkdir(parents=True, exist_ok=True)
        facts = self.facts(lab)  # also creates the credentials
        ips = sorted({_bmc_ip(s["address"]) for s in servers}, key=lambda ip: tuple(map(int, ip.split("."))))
        ca = tls.ensure_ca(self.tls_dir(lab))
        tls.issue_server_cert(ca, self.tls_dir(lab), "bmc", ips=[*ips, HOST], dns=["localhost"])
        creds = facts["bmc_credentials"]
        systems = []
        for s in servers:
            systems.append({
                "uuid": s["system_id"], "name": s["name"], "ip": _bmc_ip(s["address"]),
                "chassis_uuid": facts["bmc_systems"][s["name"]]["chassis_id"],
                "users": [creds[credential_ref(s["credentials"])]["username"]],
                "model": s["model"], "serial": s["serial"], "rack": s["rack"],
                "position": s["position"], "power_w": s["power_w"],
                "manufacturer": (s["model"] or "").split(" ")[0] or None,
            })
        emulator = {
            "SUSHY_EMULATOR_FAKE_DRIVER": True,
            "SUSHY_EMULATOR_STATE_DIR": str(data / "state"),
            "SUSHY_EMULATOR_AUTH_FILE": str(etc / "htpasswd"),
            "SUSHY_EMULATOR_FEATURE_SET": "full",
            "SUSHY_EMULATOR_FAKE_SYSTEMS": [
                {"uuid": s["system_id"], "name": s["name"], "power_state": "Off",
                 "external_notifier": False,
                 "nics": [{"mac": n["mac"]} for n in s["nics"]]}
                for s in servers
            ],
            "SUSHY_EMULATOR_CHASSIS": [
                {"Id": c["chassis_uuid"], "Name": f"{c['name']} chassis", "UUID": c["chassis_uuid"]}
                for c in systems
            ],
        }
        _write_if_changed(etc / "emulator.conf", "".join(
            f"{key} = {value!r}\n" for key, value in emulator.items()))
        # the htpasswd file must exist (sushy-tools validates it when its app is created);
        # the app fills it from credentials.json at start
        if not (etc / "htpasswd").exists():
            fd = os.open(etc / "htpasswd", os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
        _write_if_changed(etc / "lab.json", json.dumps({
            "systems": systems,
            "sensors_file": str(data / "sensors.json"),
            "credentials_file": str(self.credentials_file(lab)),
            "htpasswd_file": str(etc / "htpasswd"),
            "emulator_config": str(etc / "emulator.conf"),
            "power_delay": [1, 2],
        }, indent=1))
        # a new inventory may have dropped or renamed systems: the fake driver keeps its
        # state (power, boot device) in sqlite, keyed by UUID, so stale systems would linger
        state = data / "state" / "fakedriver.sqlite"
        stamp = data / "state" / "systems.json"
        wanted = json.dumps(emulator["SUSHY_EMULATOR_FAKE_SYSTEMS"], sort_keys=True)
        if not stamp.exists() or stamp.read_text() != wanted:
            if process.pid_of(lab.paths, self.name) is None:
                for leftover in state.parent.glob("fakedriver.sqlite*"):
                    leftover.unlink()
                stamp.write_text(wanted)
        lab.facts.update(facts)

    def bind_addresses(self, lab: Lab) -> list[str]:
        ips = sorted({_bmc_ip(s["address"]) for s in self.servers(lab)})
        return [f"{ip}:{PORTS[self.name]}" for ip in [HOST, *ips]]

    def argv(self, lab: Lab) -> list[str]:
        tls_dir = self.tls_dir(lab)
        argv = [str(lab.paths.bin("gunicorn"))]
        for bind in self.bind_addresses(lab):
            argv += ["--bind", bind]
        return argv + [
            "--workers", "1", "--worker-class", "gthread", "--threads", "8",
            "--timeout", "60", "--graceful-timeout", "3",
            "--certfile", str(tls_dir / "bmc.pem"), "--keyfile", str(tls_dir / "bmc-key.pem"),
            "--name", "dcctl-lab-bmc", "--no-control-socket", "--access-logfile", "-",
            "--pythonpath", str(APP_DIR),
            "dcctl_bmc_app:app",
        ]

    def env(self, lab: Lab) -> dict[str, str]:
        return {"DCCTL_BMC_CONFIG": str(self.etc(lab) / "lab.json")}

    def is_ready(self, lab: Lab) -> bool:
        import ssl

        context = ssl.create_default_context(cafile=str(self.tls_dir(lab) / "ca.pem"))
        addresses = self.bind_addresses(lab)
        # the last BMC address is bound last: when it answers, every address does
        return all(process.http_answers(f"https://{a}/redfish/v1/", timeout=3, context=context)
                   for a in (addresses[0], addresses[-1]))

    def post_start(self, lab: Lab) -> None:
        lab.facts.update(self.facts(lab))


def _write_if_changed(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        out.write(text)


# -- for tests and the demo: change what the BMCs report ------------------------------------

def _lab_request(lab: Lab, method: str, system: str, body: dict | None = None) -> dict:
    import requests

    facts = lab.facts if "bmc_systems" in lab.facts else BmcEmulator().facts(lab)
    entry = facts["bmc_systems"].get(system) or next(
        (v for v in facts["bmc_systems"].values() if v["system_id"] == system), None)
    if entry is None:
        raise KeyError(f"no BMC system {system!r} in the lab")
    response = requests.request(method, f"{entry['address']}/lab/v1/sensors/{entry['system_id']}",
                                json=body, auth=(entry["username"], entry["password"]),
                                verify=facts["bmc_ca"], timeout=10)
    response.raise_for_status()
    return response.json()


def get_sensors(lab: Lab, system: str) -> dict:
    """The readings of ``system`` (device name or system UUID) and its health."""
    return _lab_request(lab, "GET", system)


def set_sensors(lab: Lab, system: str, changes: dict) -> dict:
    """Merge ``changes`` into a system's readings, e.g.
    ``{"temperatures": {"inlet": {"reading": 45}}}`` or ``{"psus": {"psu2": {"health": "Critical"}}}``
    (also ``fans.<fanN>.reading``, ``power.consumed_watts``, ``psus.<psuN>.state``)."""
    return _lab_request(lab, "POST", system, changes)


def reset_sensors(lab: Lab, system: str) -> dict:
    """Put a system's readings back to their defaults."""
    return _lab_request(lab, "DELETE", system)
