"""Tenants as code: each ministry's OpenStack tenant, planned and applied from ``tenants/``.

The flow: ``load_tenants`` (files -> checked requests) -> ``snapshot.read_snapshot``
(bulk list calls) -> ``plan.plan_tenants`` (pure) -> ``apply.apply_tenant_plan``.
"""

from __future__ import annotations

from pathlib import Path

from dcctl.core.problems import Location, Problem, display_path, error, errors_in, sort_problems
from dcctl.tenants.tenant_set import ProjectView, TenantSet


def load_tenants(directory: Path, inventory_dir: Path | None = None,
                 extra_files: tuple[Path, ...] = ()) -> tuple[TenantSet, list[Problem]]:
    """Load and check every request; sites are checked against the inventory when one is given.

    ``extra_files`` are checked together with the directory's requests (see ``load_tenant_files``).

    Returns every problem at once, sorted; nothing here talks to a cloud.
    """
    from dcctl.tenants.load import load_tenant_files
    from dcctl.tenants.validate import validate_tenants

    tenants, problems = load_tenant_files(Path(directory), tuple(extra_files))
    sites = None
    if inventory_dir is not None:
        from dcctl.inventory import load_inventory

        inventory, inventory_problems = load_inventory(Path(inventory_dir))
        if errors_in(inventory_problems):
            problems.append(error(Location(display_path(Path(inventory_dir))),
                                  f"the inventory has {len(errors_in(inventory_problems))} error(s): "
                                  "tenant sites cannot be checked",
                                  "run `dcctl inventory validate` and fix it first", code="bad-inventory"))
        else:
            sites = inventory.sites
    problems += validate_tenants(tenants, sites)
    return tenants, sort_problems(problems)





def plan_live(conn, tenants: TenantSet, options=None):
    """Snapshot the cloud (bulk lists + the quota reads the plan needs), then plan. Reads only.

    Returns ``(plan, problems, snapshot)``.
    """
    from dcctl.tenants.plan import PlanOptions, plan_tenants, quota_reads_needed
    from dcctl.tenants.snapshot import read_quotas, read_snapshot

    options = options or PlanOptions()
    snap = read_snapshot(conn)
    snap.quotas = read_quotas(conn, quota_reads_needed(tenants, snap, refresh=options.refresh))
    plan, problems = plan_tenants(tenants, snap, options)
    return plan, sort_problems(problems), snap
__all__ = ["ProjectView", "TenantSet", "load_tenants", "plan_live"]
