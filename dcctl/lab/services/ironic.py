"""Ironic: the lab's bare-metal service, one process (API + conductor), SQLite, no auth.

Nodes use the ``redfish`` hardware type, so every power action (and the boot device set
at deploy) goes over real Redfish, with TLS verified against the lab CA, to the lab's
BMC emulator (service ``bmc``). To take a node enroll -> manageable -> available -> active
without disks or a real PXE boot:

* ``boot_interface = pxe`` and ``deploy_interface = ramdisk``: a "deploy" writes the PXE
  config for the node's MAC and powers it on with its boot override set to Pxe (both over
  Redfish); nothing waits for an agent;
* ``instance_info`` holds only ``kernel`` and ``ramdisk``, ``file://`` URLs of two small
  files the lab writes under a path listed in ``[conductor] file_url_allowed_paths``
  (never ``image_source`` as a ``file://`` URL: Ironic 39 crashes on it);
* automated cleaning is off, DHCP is ``none``, networking ``noop``.

Ironic runs through ``dcctl/lab/files/ironic/dcctl_ironic.py``, the ``ironic`` command with
the PBKDF2 hash of its Redfish session-cache key remembered: unremembered, that hash took
~0.25 s of CPU before every Redfish call, and 20 nodes verifying at once spent ~15 s of the
lab's two cores on it (see that file). The emulated BMCs accept HTTP basic auth only, so
``[redfish] auth_type = basic`` skips the session attempt each new connection made first
(a 401 and an ERROR line per BMC).

:func:`node_fields` gives what to create a node with for a server of the inventory, and
:func:`deploy_instance_info` what to set before ``deploy``.

:func:`deploy_profile` writes the same as a dcctl deploy profile (``dcctl rack enroll /
provision --deploy-profile``), exported by ``dcctl lab env`` as ``DCCTL_DEPLOY_PROFILE``.

Facts published: ``ironic_url``, ``ironic_instance_info`` (the kernel/ramdisk URLs),
``ironic_env`` (``DCCTL_DEPLOY_PROFILE``).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from dcctl.lab import process
from dcctl.lab.paths import FILES
from dcctl.lab.service import HOST, PORTS, Lab, LabService
from dcctl.lab.services.bmc import BmcEmulator, credential_ref
from dcctl.lab.services.openstack_api import run_tool, sqlite_url, write_ini

LAUNCHER = FILES / "ironic" / "dcctl_ironic.py"
INTERFACES = {
    # interface: (enabled, default)
    "boot": ("pxe", "pxe"),
    "deploy": ("ramdisk", "ramdisk"),
    "power": ("redfish", "redfish"),
    "management": ("redfish", "redfish"),
    "inspect": ("no-inspect,redfish", "no-inspect"),
    "bios": ("no-bios,redfish", "no-bios"),
    "raid": ("no-raid", "no-raid"),
    "vendor": ("no-vendor,redfish", "no-vendor"),
    "console": ("no-console", "no-console"),
    "rescue": ("no-rescue", "no-rescue"),
    "firmware": ("no-firmware,redfish", "no-firmware"),
    "network": ("noop", "noop"),
    "storage": ("noop", "noop"),
}


class Ironic(LabService):
    name = "ironic"
    depends_on = ("bmc",)
    ready_timeout = 60.0

    def conf(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name) / "ironic.conf"

    def data(self, lab: Lab) -> Path:
        return lab.paths.data(self.name)

    def images(self, lab: Lab) -> Path:
        return self.data(lab) / "images"

    def facts(self, lab: Lab) -> dict:
        return {"ironic_url": self.url(lab), "ironic_instance_info": deploy_instance_info(lab),
                "ironic_env": {"DCCTL_DEPLOY_PROFILE": str(deploy_profile(lab))}}

    def prepare(self, lab: Lab) -> None:
        data = self.data(lab)
        dirs = {k: data / k for k in ("images", "tftpboot", "tftpboot/master_images", "httpboot",
                                      "pxe_images", "master_images", "iso_master", "tmp", "lock")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        # what a "deploy" boots: the content does not matter, nothing really boots it
        for name, text in (("vmlinuz", "dcctl lab kernel\n"), ("initrd", "dcctl lab ramdisk\n")):
            path = dirs["images"] / name
            if not path.exists():
                path.write_text(text)
        sections: dict[str, dict[str, object]] = {
            "DEFAULT": {
                "auth_strategy": "noauth",
                "rpc_transport": "none",
                "host": "dcctl-lab-ironic",
                "my_ip": HOST,
                "use_stderr": "true",
                "debug": "false",
                "tempdir": dirs["tmp"],
                "enabled_hardware_types": "redfish",
            },
            "api": {"host_ip": HOST, "port": PORTS[self.name], "api_workers": 1},
            "database": {"connection": sqlite_url(data / "ironic.sqlite")},
            "dhcp": {"dhcp_provider": "none"},
            "conductor": {
                "automated_clean": "false",
                "file_url_allowed_paths": dirs["images"],
                "sync_power_state_interval": 30,
                "power_state_change_timeout": 60,
                "heartbeat_interval": 5,
            },
            "deploy": {
                "http_root": dirs["httpboot"],
                "http_url": f"http://{HOST}:{PORTS[self.name] + 1}",
                "iso_master_path": dirs["iso_master"],
                "default_boot_option": "local",
            },
            "pxe": {
                "tftp_root": dirs["tftpboot"],
                "tftp_master_path": dirs["tftpboot/master_images"],
                "tftp_server": HOST,
                "images_path": dirs["pxe_images"],
                "instance_master_path": dirs["master_images"],
            },
            "redfish": {"auth_type": "basic", "connection_attempts": 3, "connection_retry_interval": 1},
            "oslo_concurrency": {"lock_path": dirs["lock"]},
        }
        for interface, (enabled, default) in INTERFACES.items():
            sections["DEFAULT"][f"enabled_{interface}_interfaces"] = enabled
            sections["DEFAULT"][f"default_{interface}_interface"] = default
        write_ini(self.conf(lab), sections)
        marker = data / "schema.ok"
        if not marker.exists() or not (data / "ironic.sqlite").exists():
            (data / "ironic.sqlite").unlink(missing_ok=True)
            run_tool(lab, self.name, [str(lab.paths.bin("ironic-dbsync")), "--config-file",
                                      str(self.conf(lab)), "create_schema"])
            marker.write_text("ok\n")
        lab.facts.update(self.facts(lab))

    def argv(self, lab: Lab) -> list[str]:
        return [str(lab.paths.bin("python")), str(LAUNCHER), "--config-file", str(self.conf(lab))]

    def is_ready(self, lab: Lab) -> bool:
        """The API answers and the conductor has registered the redfish hardware type."""
        request = urllib.request.Request(self.url(lab) + "/v1/drivers",
                                         headers={"X-OpenStack-Ironic-API-Version": "latest"})
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                drivers = json.load(response).get("drivers", [])
        except (OSError, ValueError):
            return False
        return any(d.get("name") == "redfish" for d in drivers)

    def post_start(self, lab: Lab) -> None:
        lab.facts.update(self.facts(lab))


def deploy_instance_info(lab: Lab) -> dict[str, str]:
    """``instance_info`` for a ramdisk deploy: the lab's kernel and ramdisk as file:// URLs."""
    images = lab.paths.data(Ironic.name) / "images"
    return {"kernel": f"file://{images / 'vmlinuz'}", "ramdisk": f"file://{images / 'initrd'}"}


def deploy_profile(lab: Lab) -> Path:
    """The lab's dcctl deploy profile (written if missing or stale): pxe boot, ramdisk deploy,
    the BMC CA for Ironic's Redfish calls, and the instance_info of :func:`deploy_instance_info`."""
    import yaml

    from dcctl.lab.services.bmc import BmcEmulator

    path = lab.paths.etc(Ironic.name) / "deploy-profile.yaml"
    text = "# dcctl deploy profile of the lab's Ironic (written by dcctl lab)\n" + yaml.safe_dump({
        "node": {"boot_interface": "pxe", "deploy_interface": "ramdisk"},
        "driver_info": {"redfish_verify_ca": str(BmcEmulator().tls_dir(lab) / "ca.pem")},
        "instance_info": deploy_instance_info(lab),
    }, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def node_fields(lab: Lab, server: str) -> dict:
    """Fields to create an Ironic node for inventory server ``server`` (its BMC in the lab),
    plus ``ports``: the MACs of its NICs (the PXE one first)."""
    bmc = BmcEmulator()
    facts = lab.facts if "bmc_systems" in lab.facts else bmc.facts(lab)
    system = facts["bmc_systems"][server]
    ref = credential_ref(system["credentials"])
    creds = facts["bmc_credentials"][ref]
    nics = next(s["nics"] for s in bmc.servers(lab) if s["name"] == server)
    return {
        "name": server,
        "driver": "redfish",
        "driver_info": {
            "redfish_address": system["address"],
            "redfish_system_id": f"/redfish/v1/Systems/{system['system_id']}",
            "redfish_username": creds["username"],
            "redfish_password": creds["password"],
            "redfish_verify_ca": facts["bmc_ca"],
        },
        "boot_interface": "pxe",
        "deploy_interface": "ramdisk",
        "ports": [n["mac"] for n in sorted(nics, key=lambda n: not n["pxe"])],
    }


def is_running(lab: Lab) -> bool:
    return process.pid_of(lab.paths, Ironic.name) is not None
