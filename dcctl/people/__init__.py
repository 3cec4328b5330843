"""Staff onboarding: a ministry's staff list (CSV) as Keystone users in the tenant's domain.

The flow is the tenants' one: ``roster.load_roster`` (CSV -> checked staff, every bad row
at once) -> ``snapshot.read_people_snapshot`` (a few bulk reads of the tenant's domain)
-> ``plan.plan_people`` (pure) -> ``apply.apply_people_plan`` (bounded concurrency,
retries, one-time passwords written to an owner-only file, never logged).
"""

from __future__ import annotations

from dcctl.people.model import Roster, StaffMember

__all__ = ["Roster", "StaffMember"]
