"""The e-service catalogue: the public services each tenant runs, and probes of their health.

The flow: ``tenants/*.yaml`` (each tenant's ``services:``) -> ``load_catalogue`` (checked,
every mistake located) -> ``probe.probe_services`` (concurrent, with timeouts) ->
``dcctl service check``, the exporter's ``services`` collector and the alerts.
"""

from __future__ import annotations

from pathlib import Path

from dcctl.core.problems import Problem
from dcctl.services.model import Service


def load_catalogue(tenants_dir: Path) -> tuple[list[Service], list[Problem]]:
    """Every catalogued service of the requests in ``tenants_dir``, with every problem found.

    The requests are loaded and checked as ``dcctl tenant validate`` does (without the
    inventory's sites, which probes do not need); nothing here touches the network.
    """
    from dcctl.services.catalogue import catalogue_of
    from dcctl.tenants import load_tenants

    tenants, problems = load_tenants(Path(tenants_dir))
    return catalogue_of(tenants), problems


__all__ = ["Service", "load_catalogue"]
