"""The lab's services, in start order. Each entry names the module and its LabService class."""

from __future__ import annotations

from importlib import import_module

from dcctl.lab.service import LabService

REGISTRY: dict[str, str] = {
    "keystone": "dcctl.lab.services.keystone:Keystone",
    "neutron": "dcctl.lab.services.neutron:Neutron",
    "nova": "dcctl.lab.services.nova:Nova",
    "cinder": "dcctl.lab.services.cinder:Cinder",
    "bmc": "dcctl.lab.services.bmc:BmcEmulator",
    "ironic": "dcctl.lab.services.ironic:Ironic",
    "hosts": "dcctl.lab.services.hosts:RackHosts",
    "eservices": "dcctl.lab.services.eservices:EServices",
    "prometheus": "dcctl.lab.services.prometheus:Prometheus",
}


def load(name: str) -> LabService:
    module_name, cls = REGISTRY[name].split(":")
    return getattr(import_module(module_name), cls)()


def all_services() -> list[LabService]:
    return [load(name) for name in REGISTRY]
