"""From the checked tenant requests to the list of services, and choosing some of them."""

from __future__ import annotations

from pathlib import Path

from dcctl.services.model import Service
from dcctl.tenants.model import ServiceSpec
from dcctl.tenants.tenant_set import TenantSet


def scheme_of(spec: ServiceSpec) -> str:
    return spec.protocol or spec.endpoints[0].split("://", 1)[0].lower()


def catalogue_of(tenants: TenantSet) -> list[Service]:
    """Every service of every loaded request, sorted by tenant then slug."""
    out = []
    for slug, tenant in sorted(tenants.tenants.items()):
        folder = Path(tenants.docs[slug].file).parent if slug in tenants.docs else Path(".")
        for spec in tenant.services:
            bundle = None
            if spec.ca_bundle:
                bundle = Path(spec.ca_bundle).expanduser()
                bundle = bundle if bundle.is_absolute() else folder / bundle
            out.append(Service(
                slug=spec.slug, tenant=slug, tenant_name=tenant.name.en, name_en=spec.name.en,
                name_ar=spec.name.ar, directorate=spec.directorate or "", category=spec.category,
                criticality=spec.criticality, protocol=scheme_of(spec), endpoints=tuple(spec.endpoints),
                expect_status=tuple(spec.expect.status), expect_contains=spec.expect.contains,
                timeout=spec.timeout, ca_bundle=bundle))
    return sorted(out, key=lambda s: (s.tenant, s.slug))


def select(services: list[Service], tenants: tuple[str, ...] = (), categories: tuple[str, ...] = (),
           slugs: tuple[str, ...] = ()) -> list[Service]:
    """The services matching every given filter (an empty filter matches all)."""
    return [s for s in services
            if (not tenants or s.tenant in tenants) and (not categories or s.category in categories)
            and (not slugs or s.slug in slugs)]
