"""Checks on the catalogue that the schema alone cannot make; pure, located at file:line.

Called by ``dcctl.tenants.validate.validate_tenants``, so ``dcctl tenant validate``
reports catalogue mistakes with the rest, before anything is probed.
"""

from __future__ import annotations

from pathlib import Path

from dcctl.core.problems import Problem, error, warning
from dcctl.core.schema_problems import did_you_mean
from dcctl.tenants.model import PORTAL_CATEGORIES
from dcctl.tenants.tenant_set import TenantSet


def validate_services(tenants: TenantSet) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, tuple[str, int]] = {}  # service slug -> (tenant, index)
    for slug, tenant in tenants.tenants.items():
        directorates = [d.slug for d in tenant.directorates]
        for i, spec in enumerate(tenant.services):
            at = lambda *path, key=False: tenants.at(slug, "services", i, *path, key=key)  # noqa: E731
            if spec.slug in first:
                other = tenants.at(first[spec.slug][0], "services", first[spec.slug][1], "slug")
                problems.append(error(at("slug"), f"service '{spec.slug}' is already catalogued",
                                      f"it is declared at {other}; every service needs its own slug "
                                      "(it names the service in alerts and dashboards)", code="duplicate-service"))
            else:
                first[spec.slug] = (slug, i)
            if spec.directorate is not None and spec.directorate not in directorates:
                problems.append(error(at("directorate"), f"'{spec.directorate}' is not a directorate of {slug}",
                                      did_you_mean(spec.directorate, directorates) if directorates
                                      else f"{slug} has no directorates: remove 'directorate'",
                                      code="unknown-directorate"))
            if spec.category not in PORTAL_CATEGORIES:
                problems.append(error(at("category"), f"unknown portal category '{spec.category}'",
                                      did_you_mean(spec.category, PORTAL_CATEGORIES), code="unknown-category"))
            problems += _endpoints(spec, at, Path(tenants.docs[slug].file).parent)
    return problems


def _endpoints(spec, at, folder: Path) -> list[Problem]:
    problems = []
    schemes = [e.split("://", 1)[0].lower() for e in spec.endpoints]
    protocol = spec.protocol or schemes[0]
    seen: set[str] = set()
    for j, (endpoint, scheme) in enumerate(zip(spec.endpoints, schemes)):
        if scheme != protocol:
            why = f"protocol is {protocol}" if spec.protocol else f"the first endpoint uses {protocol}"
            problems.append(error(at("endpoints", j), f"endpoint uses {scheme}:// but {why}",
                                  f"write every endpoint as {protocol}://... or split the service in two",
                                  code="endpoint-protocol"))
        if endpoint in seen:
            problems.append(warning(at("endpoints", j), f"endpoint {endpoint} is listed twice",
                                    "remove the second one", code="duplicate-endpoint"))
        seen.add(endpoint)
    explicit = spec.model_fields_set
    if protocol == "tcp" and "expect" in explicit:
        problems.append(error(at("expect", key=True), "a tcp service has no status or content to expect",
                              "remove 'expect' (a tcp probe only connects) or use an http(s) endpoint",
                              code="expect-tcp"))
    if spec.ca_bundle is not None and protocol != "https":
        problems.append(error(at("ca_bundle", key=True), f"ca_bundle applies to https only, not {protocol}",
                              "remove 'ca_bundle'", code="ca-bundle-protocol"))
    elif spec.ca_bundle is not None and not (folder / Path(spec.ca_bundle).expanduser()).exists():
        problems.append(warning(at("ca_bundle"), f"CA bundle {spec.ca_bundle} does not exist on this machine",
                                "probes from here will fail TLS verification; give the path where dcctl runs",
                                code="ca-bundle-missing"))
    return problems
