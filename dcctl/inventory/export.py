"""The inventory as other tools read it: an Ansible inventory and plain JSON.

Ansible hosts are the devices with an SSH endpoint (servers); switches and PDUs
are not managed over SSH by playbooks. Groups follow the physical hierarchy
(site, hall, rack) and the role, with names Ansible accepts (``-`` becomes ``_``).
"""

from __future__ import annotations

import re
from typing import Any

from dcctl.inventory.model import Device
from dcctl.inventory.rack_inventory import RackInventory


def group_name(kind: str, *parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join((kind, *parts)))


def host_vars(inv: RackInventory, device: Device) -> dict[str, Any]:
    rack = inv.racks[device.rack]
    site = inv.sites[rack.site]
    hv: dict[str, Any] = {
        "ansible_host": device.ssh.host if device.ssh else str(device.management_ip),
        "ansible_port": device.ssh.port if device.ssh else 22,
        "ansible_user": device.ssh.user if device.ssh else "root",
        "dcctl_site": site.name,
        "dcctl_governorate": site.governorate,
        "dcctl_region": site.region,
        "dcctl_sovereign": site.sovereign,
        "dcctl_hall": rack.hall,
        "dcctl_rack": rack.name,
        "dcctl_role": device.role.value,
        "dcctl_position": device.position,
        "dcctl_model": device.model,
        "dcctl_serial": device.serial,
        "ntp_servers": list(site.ntp_servers),
        "dns_servers": [str(ip) for ip in site.dns_servers],
    }
    if device.management_ip is not None:
        hv["management_ip"] = str(device.management_ip)
    if device.bmc is not None:
        hv["bmc_address"] = device.bmc.address
        hv["bmc_system_id"] = device.bmc.system_id
    if device.nics:
        hv["nics"] = [{"name": n.name, "mac": n.mac, "pxe": n.pxe} for n in device.nics]
    return hv


def ansible_inventory(inv: RackInventory) -> dict[str, Any]:
    """The JSON an Ansible dynamic inventory script prints for ``--list``."""
    hosts = sorted((d for d in inv.devices.values() if d.ssh is not None and d.rack in inv.racks
                    and inv.racks[d.rack].site in inv.sites), key=lambda d: d.name)
    groups: dict[str, dict[str, Any]] = {}

    def group(name: str) -> dict[str, Any]:
        return groups.setdefault(name, {"hosts": [], "children": [], "vars": {}})

    def child(parent: str, name: str) -> None:
        if name not in group(parent)["children"]:
            group(parent)["children"].append(name)

    for device in hosts:
        rack = inv.racks[device.rack]
        site_g = group_name("site", rack.site)
        hall_g = group_name("hall", rack.site, rack.hall)
        rack_g = group_name("rack", rack.name)
        role_g = group_name("role", device.role.value)
        child("all", site_g)
        child(site_g, hall_g)
        child(hall_g, rack_g)
        group(rack_g)["hosts"].append(device.name)
        child("all", role_g)
        group(role_g)["hosts"].append(device.name)
        group(site_g)["vars"].setdefault("dcctl_site", rack.site)
    result: dict[str, Any] = {"_meta": {"hostvars": {d.name: host_vars(inv, d) for d in hosts}}}
    for name, body in sorted(groups.items()):
        result[name] = {k: v for k, v in body.items() if v}
    result.setdefault("all", {})
    return result


def ansible_yaml_inventory(inv: RackInventory) -> dict[str, Any]:
    """The same inventory in Ansible's static YAML format (``all: children: ...``)."""
    listing = ansible_inventory(inv)
    hostvars = listing["_meta"]["hostvars"]

    def render(name: str) -> dict[str, Any]:
        """Host vars are written once, under the host's rack group."""
        body = listing.get(name, {})
        out: dict[str, Any] = {}
        if body.get("hosts"):
            out["hosts"] = {h: (hostvars[h] if group_name("rack", hostvars[h]["dcctl_rack"]) == name else None) for h in body["hosts"]}
        if body.get("vars"):
            out["vars"] = body["vars"]
        if body.get("children"):
            out["children"] = {c: render(c) for c in body["children"]}
        return out

    return {"all": render("all")}


def inventory_json(inv: RackInventory) -> dict[str, Any]:
    """Every item, as plain JSON-ready data, plus each rack's computed usage."""
    dump = lambda model: model.model_dump(mode="json", exclude_defaults=False)  # noqa: E731
    return {
        "sites": [dump(s) for s in inv.sites.values()],
        "halls": [dump(h) for h in inv.halls.values()],
        "networks": [dump(n) for n in inv.networks.values()],
        "racks": [dump(r) | {"usage": rack_usage_json(inv, r.name)} for r in inv.racks.values()],
        "devices": [dump(d) for d in inv.devices.values()],
    }


def rack_usage_json(inv: RackInventory, rack: str) -> dict[str, Any]:
    usage = inv.usage(rack)
    return {"units_total": usage.units_total, "units_used": usage.units_used,
            "units_free": usage.units_free, "power_allocated_w": usage.power_allocated_w,
            "power_budget_w": usage.power_budget_w, "power_ratio": round(usage.power_ratio, 3)}
