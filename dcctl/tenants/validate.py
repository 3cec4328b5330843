"""Checks that span fields and files: names, sites, phases, classification, quotas, links.

Pure: takes the loaded requests and the inventory's sites, returns problems. Every
rule here runs before dcctl talks to any cloud.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dcctl.core.problems import Problem, error, warning
from dcctl.core.schema_problems import did_you_mean
from dcctl.services.validate import validate_services
from dcctl.tenants.model import GOVERNORATES, Classification
from dcctl.tenants.tenant_set import ProjectView, TenantSet


def validate_tenants(tenants: TenantSet, sites: dict[str, Any] | None) -> list[Problem]:
    """``sites``: the inventory's sites by name (each with a ``sovereign`` flag); None skips site checks."""
    problems: list[Problem] = []
    problems += _unique_projects(tenants)
    for project in tenants.projects():
        problems += _names_in_project(tenants, project)
        problems += _placement(tenants, project, sites)
        problems += _networks(tenants, project)
        problems += _rules(tenants, project)
        problems += _links(tenants, project)
        problems += _counts_within_quota(tenants, project)
    for tenant in tenants.tenants.values():
        problems += _phases(tenants, tenant.slug)
        problems += _groups(tenants, tenant.slug)
        problems += _directorate_quotas(tenants, tenant.slug)
    problems += _policy(tenants)
    problems += validate_services(tenants)  # the e-service catalogue (services:)
    return problems


def _unique_projects(tenants: TenantSet) -> list[Problem]:
    """Project slugs name Keystone projects: unique across every tenant and directorate."""
    problems = []
    first: dict[str, ProjectView] = {}
    # tenants before directorates: a directorate that takes a tenant's slug is the one reported
    for project in sorted(tenants.projects(), key=lambda p: not p.is_top):
        if project.slug in first:
            other = tenants.project_at(first[project.slug], "slug")
            problems.append(error(tenants.project_at(project, "slug"), f"slug '{project.slug}' is already used",
                                  f"it is declared at {other}; every tenant and directorate needs its own slug",
                                  code="duplicate-slug"))
        else:
            first[project.slug] = project
    return problems


def _names_in_project(tenants: TenantSet, project: ProjectView) -> list[Problem]:
    problems = []
    for field, items in (("networks", project.networks), ("security_groups", project.security_groups)):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.name in seen:
                problems.append(error(tenants.project_at(project, field, i, "name"),
                                      f"{field[:-1].replace('_', ' ')} '{item.name}' is declared twice in {project.slug}",
                                      f"the first is item {seen[item.name] + 1}; give each a different name",
                                      code="duplicate-name"))
            seen.setdefault(item.name, i)
    return problems


def _placement(tenants: TenantSet, project: ProjectView, sites: dict[str, Any] | None) -> list[Problem]:
    problems = []
    directorate = project.directorate
    if directorate is not None and directorate.governorate not in GOVERNORATES:
        problems.append(error(tenants.project_at(project, "governorate"),
                              f"unknown governorate '{directorate.governorate}'",
                              did_you_mean(directorate.governorate, GOVERNORATES), code="unknown-governorate"))
    if sites is None:
        return problems
    placed = ([("sites", i, name) for i, name in enumerate(project.tenant.sites)] if project.is_top
              else [("site", None, directorate.site)] if directorate and directorate.site else [])
    for field, index, name in placed:
        where = (field,) if index is None else (field, index)
        site = sites.get(name)
        if site is None:
            problems.append(error(tenants.project_at(project, *where), f"unknown site '{name}'",
                                  _suggest(name, sorted(sites), "a site of the inventory"), code="unknown-site"))
            continue
        if project.classification.rank >= Classification.CONFIDENTIAL.rank and not site.sovereign:
            problems.append(error(tenants.project_at(project, *where),
                                  f"site '{name}' is not cleared for {project.classification.value} data",
                                  "confidential and secret tenants are placed only in sovereign sites: "
                                  + ", ".join(sorted(n for n, s in sites.items() if s.sovereign)),
                                  code="classification-site"))
    return problems


def _networks(tenants: TenantSet, project: ProjectView) -> list[Problem]:
    problems = []
    routed: list[tuple[int, Any]] = []
    for i, net in enumerate(project.networks):
        if net.external_gateway and not net.router:
            problems.append(error(tenants.project_at(project, "networks", i, "external_gateway"),
                                  f"network '{net.name}' asks for an external gateway without a router",
                                  "set 'router: true' as well, or remove 'external_gateway'", code="gateway-without-router"))
        if net.external_gateway and project.classification is Classification.SECRET:
            problems.append(error(tenants.project_at(project, "networks", i, "external_gateway"),
                                  f"network '{net.name}': secret tenants get no external gateway",
                                  "remove 'external_gateway' (secret data never leaves the government network)",
                                  code="classification-gateway"))
        if net.router:
            routed.append((i, net))
    for a in range(len(routed)):
        for b in range(a + 1, len(routed)):
            (_, na), (ib, nb) = routed[a], routed[b]
            if na.cidr.version == nb.cidr.version and na.cidr.overlaps(nb.cidr):
                problems.append(error(tenants.project_at(project, "networks", ib, "cidr"),
                                      f"network '{nb.name}' ({nb.cidr}) overlaps '{na.name}' ({na.cidr}) on the same router",
                                      "routed networks of one project need distinct address ranges", code="cidr-overlap"))
    return problems


def _rules(tenants: TenantSet, project: ProjectView) -> list[Problem]:
    problems = []
    groups = {g.name for g in project.security_groups}
    for i, group in enumerate(project.security_groups):
        for j, rule in enumerate(group.rules):
            if rule.remote_group is not None and rule.remote_group not in groups:
                problems.append(error(tenants.project_at(project, "security_groups", i, "rules", j, "remote_group"),
                                      f"unknown security group '{rule.remote_group}'",
                                      did_you_mean(rule.remote_group, sorted(groups)), code="unknown-security-group"))
    return problems


def _links(tenants: TenantSet, project: ProjectView) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    allow = set(tenants.policy.secret_link_allowlist)
    for i, link in enumerate(project.links):
        at = tenants.project_at(project, "links", i)
        if link in seen:
            problems.append(error(at, f"link '{link}' is listed twice", "remove one of them", code="duplicate-link"))
            continue
        seen.add(link)
        owner_slug, net_name = link.split("/", 1)
        owner = tenants.project(owner_slug)
        if owner is None:
            if owner_slug in tenants.invalid:
                continue  # that request has its own errors
            known = [p.slug for p in tenants.projects()]
            problems.append(error(at, f"link '{link}': no tenant or directorate '{owner_slug}'",
                                  _suggest(owner_slug, known, "the owner's slug, as in its file in tenants/"),
                                  code="unknown-link"))
            continue
        if owner.slug == project.slug:
            problems.append(error(at, f"link '{link}' points at this project's own network",
                                  "a project already reaches its own networks: remove the link", code="self-link"))
            continue
        network = next((n for n in owner.networks if n.name == net_name), None)
        if network is None:
            problems.append(error(at, f"link '{link}': {owner_slug} has no network '{net_name}'",
                                  _suggest(net_name, [n.name for n in owner.networks if n.shared],
                                           f"the name of a shared network in {owner_slug}'s request"),
                                  code="unknown-link"))
            continue
        if not network.shared:
            problems.append(error(at, f"link '{link}': that network is not shared",
                                  f"only networks marked 'shared: true' by {owner_slug} can be linked",
                                  code="link-not-shared"))
        if owner.phase > project.phase:
            problems.append(error(at, f"link '{link}': {owner_slug} is onboarded in phase {owner.phase}, "
                                  f"after {project.slug} (phase {project.phase})",
                                  "a link needs its network onboarded in the same or an earlier phase",
                                  code="phase-order"))
        if project.classification is Classification.SECRET and link not in allow:
            problems.append(error(at, f"link '{link}' is not cleared for secret tenants",
                                  "secret tenants may link only to networks in tenants/_policy.yaml "
                                  f"secret_link_allowlist ({', '.join(sorted(allow)) or 'empty'})",
                                  code="classification-link"))
    return problems


def _counts_within_quota(tenants: TenantSet, project: ProjectView) -> list[Problem]:
    """What the request itself creates must fit in the quota it asks for."""
    problems = []
    quota = project.quota.network
    routers = 1 if any(n.router for n in project.networks) else 0
    counts = (("networks", len(project.networks)), ("subnets", len(project.networks)),
              ("routers", routers), ("security_groups", len(project.security_groups) + 1))
    for name, count in counts:
        limit = getattr(quota, name)
        if limit is not None and count > limit:
            extra = " (counting the project's default group)" if name == "security_groups" else ""
            problems.append(error(tenants.project_at(project, "quota", "network", name),
                                  f"{project.slug} declares {count} {name.replace('_', ' ')}{extra} but its quota allows {limit}",
                                  f"raise quota.network.{name} to at least {count}", code="quota-too-small"))
    return problems


def _phases(tenants: TenantSet, slug: str) -> list[Problem]:
    tenant = tenants.tenants[slug]
    problems = []
    for i, d in enumerate(tenant.directorates):
        if d.phase is not None and d.phase < tenant.phase:
            problems.append(error(tenants.at(slug, "directorates", i, "phase"),
                                  f"directorate '{d.slug}' is in phase {d.phase}, before its "
                                  f"{tenant.kind.value.replace('-', ' ')} (phase {tenant.phase})",
                                  f"a directorate is onboarded in phase {tenant.phase} or later", code="phase-order"))
    return problems


def _groups(tenants: TenantSet, slug: str) -> list[Problem]:
    tenant = tenants.tenants[slug]
    problems = []
    scopes = ["tenant", "all"] + [d.slug for d in tenant.directorates]
    seen: set[str] = set()
    for i, group in enumerate(tenant.groups):
        if group.name in seen:
            problems.append(error(tenants.at(slug, "groups", i, "name"), f"group '{group.name}' is declared twice",
                                  "give each group its own name", code="duplicate-name"))
        seen.add(group.name)
        if group.scope not in scopes:
            problems.append(error(tenants.at(slug, "groups", i, "scope"), f"unknown scope '{group.scope}'",
                                  did_you_mean(group.scope, scopes), code="unknown-scope"))
    return problems


def _directorate_quotas(tenants: TenantSet, slug: str) -> list[Problem]:
    tenant = tenants.tenants[slug]
    if not tenant.directorates:
        return []
    parent = tenant.quota.flat()
    totals: dict[str, int] = defaultdict(int)
    for d in tenant.directorates:
        for name, value in d.quota.flat().items():
            totals[name] += value
    problems = []
    for name, total in totals.items():
        if name in parent and total > parent[name]:
            section, field = name.split(".")
            problems.append(error(tenants.at(slug, "quota", section, field),
                                  f"directorates ask for {total} {field.replace('_', ' ')} in total, "
                                  f"more than the tenant's {parent[name]}",
                                  f"raise quota.{name} to at least {total} or lower the directorates' quotas",
                                  code="quota-sum"))
    return problems


def _policy(tenants: TenantSet) -> list[Problem]:
    doc = tenants.policy_doc
    if doc is None:
        return []
    problems = []
    for i, link in enumerate(tenants.policy.secret_link_allowlist):
        owner_slug, net_name = link.split("/", 1)
        owner = tenants.project(owner_slug)
        if owner is None or not any(n.name == net_name and n.shared for n in owner.networks):
            problems.append(warning(doc.at(("secret_link_allowlist", i)),
                                    f"'{link}' is not a shared network of any tenant",
                                    "remove it or fix the name", code="unknown-link"))
    return problems



def _suggest(word: str, choices: list[str], what: str) -> str:
    """A did-you-mean, the short list of choices, or what to look for when the list is long."""
    hint = did_you_mean(word, choices)
    if hint.startswith("did you mean") or len(choices) <= 8:
        return hint or f"write {what}"
    return f"write {what}"
