"""Delegation in the tenant plan: a tenant's admin group is Keystone's domain manager of its domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcctl.core.plan import Op
from dcctl.tenants import load_tenants
from dcctl.tenants.plan import PlanOptions, plan_tenants
from dcctl.tenants.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
REQUEST = """
slug: cbi
name: {en: Central Bank E-Payment, ar: الدفع الإلكتروني للبنك المركزي}
kind: independent-entity
phase: 1
sites: [bgw-dc1]
classification: internal
contacts: [{name: Office, email: cloud@cbi.iq}]
groups:
  - {name: admins, role: admin}
  - {name: operators, role: member}
"""
ROLES = [{"id": f"role-{n}", "name": n} for n in ("admin", "manager", "member", "reader")]


@pytest.fixture
def tenants(tmp_path, monkeypatch):
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "cbi.yaml").write_text(REQUEST)
    monkeypatch.chdir(tmp_path)
    loaded, problems = load_tenants(Path("tenants"), ROOT / "inventory")
    assert problems == []
    return loaded


def live(*domain_grants: tuple[str, str]) -> Snapshot:
    """Tenant cbi applied, with these (group id, role id) grants on its domain."""
    mark = "[managed-by-dcctl]"
    return Snapshot(
        roles=ROLES,
        domains=[{"id": "d", "name": "cbi", "description": "Central Bank E-Payment — الدفع الإلكتروني للبنك المركزي",
                  "tags": ["managed-by-dcctl", "dcctl:tenant=cbi"], "enabled": True}],
        groups=[{"id": "g-admins", "domain_id": "d", "name": "cbi-admins",
                 "description": f"Central Bank E-Payment: admin {mark}"},
                {"id": "g-operators", "domain_id": "d", "name": "cbi-operators",
                 "description": f"Central Bank E-Payment: member {mark}"}],
        role_assignments=[{"group": {"id": g}, "role": {"id": r}, "scope": {"domain": {"id": "d"}}}
                          for g, r in domain_grants])


def grants(plan) -> list[tuple[Op, str, dict]]:
    return [(a.op, a.label, {k: a.payload.get(k) for k in ("group_id", "domain_id", "role_id")})
            for a in plan.actions if a.kind == "role-grant" and "domain_id" in a.payload]


def test_admins_get_manager_on_their_domain(tenants):
    plan, problems = plan_tenants(tenants, live())
    assert problems == []
    assert grants(plan) == [(Op.CREATE, "manager for group cbi-admins on domain cbi",
                             {"group_id": "g-admins", "domain_id": "d", "role_id": "role-manager"})]


def test_an_existing_grant_is_not_planned_again(tenants):
    plan, _ = plan_tenants(tenants, live(("g-admins", "role-manager")))
    assert grants(plan) == []


def test_a_domain_grant_no_request_wants_is_removed_only_with_prune(tenants):
    extra = live(("g-admins", "role-manager"), ("g-operators", "role-manager"))
    assert grants(plan_tenants(tenants, extra)[0]) == []
    pruned, _ = plan_tenants(tenants, extra, PlanOptions(prune=True))
    assert grants(pruned) == [(Op.DELETE, "manager for group cbi-operators on domain cbi",
                               {"group_id": "g-operators", "domain_id": "d", "role_id": "role-manager"})]
