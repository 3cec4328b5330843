"""The loaded tenant requests, each with where it came from, and the projects they ask for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dcctl.core.problems import Location
from dcctl.core.yamlsource import SourceDoc
from dcctl.tenants.model import (Classification, DirectorateSpec, NetworkSpec, Names, Policy, Quota,
                                 SecurityGroupSpec, TenantSpec)


@dataclass(frozen=True)
class ProjectView:
    """One Keystone project a tenant asks for: its top project or one of its directorates."""

    tenant: TenantSpec
    directorate: DirectorateSpec | None = None
    index: int = -1  # position in the tenant's ``directorates`` list

    @property
    def slug(self) -> str:
        return self.directorate.slug if self.directorate else self.tenant.slug

    @property
    def is_top(self) -> bool:
        return self.directorate is None

    @property
    def path(self) -> tuple:
        """Where this project's keys sit in its YAML document."""
        return () if self.directorate is None else ("directorates", self.index)

    @property
    def names(self) -> Names:
        return (self.directorate or self.tenant).name

    @property
    def phase(self) -> int:
        if self.directorate and self.directorate.phase is not None:
            return self.directorate.phase
        return self.tenant.phase

    @property
    def classification(self) -> Classification:
        return self.tenant.classification

    @property
    def sites(self) -> list[str]:
        if self.directorate and self.directorate.site:
            return [self.directorate.site]
        return list(self.tenant.sites)

    @property
    def quota(self) -> Quota:
        return (self.directorate or self.tenant).quota

    @property
    def networks(self) -> list[NetworkSpec]:
        return (self.directorate or self.tenant).networks

    @property
    def security_groups(self) -> list[SecurityGroupSpec]:
        return (self.directorate or self.tenant).security_groups

    @property
    def links(self) -> list[str]:
        return (self.directorate or self.tenant).links


@dataclass
class TenantSet:
    tenants: dict[str, TenantSpec] = field(default_factory=dict)
    docs: dict[str, SourceDoc] = field(default_factory=dict)  # slug -> its file
    policy: Policy = field(default_factory=Policy)
    policy_doc: SourceDoc | None = None
    invalid: set[str] = field(default_factory=set)  # slugs of files that failed their schema check

    def at(self, slug: str, *path: Any, key: bool = False) -> Location:
        """Location of a value in a tenant's file."""
        return self.docs[slug].at(tuple(path), key=key)

    def project_at(self, project: ProjectView, *path: Any, key: bool = False) -> Location:
        return self.at(project.tenant.slug, *project.path, *path, key=key)

    def projects(self) -> list[ProjectView]:
        """Every project, each tenant's top project before its directorates."""
        out: list[ProjectView] = []
        for tenant in self.tenants.values():
            out.append(ProjectView(tenant))
            out.extend(ProjectView(tenant, d, i) for i, d in enumerate(tenant.directorates))
        return out

    def project(self, slug: str) -> ProjectView | None:
        """The project with this slug (a tenant's top project first, should a directorate share it)."""
        if slug in self.tenants:
            return ProjectView(self.tenants[slug])
        return next((p for p in self.projects() if p.slug == slug), None)
