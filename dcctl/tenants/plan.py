"""Plan: the actions that bring the cloud to what ``tenants/`` asks for. Pure: no I/O.

``plan_tenants(tenants, snapshot, options)`` returns a ``Plan`` and the problems
that stop it (an object with the same name that dcctl does not manage, a subnet
whose CIDR would have to change in place, a link to a network not applied yet).
Values not known before apply (the id of a project still to be created) are
``Ref(key)``: the executor hands each action the results of those it depends on.

Rules:
- dcctl only changes what carries its marker; a same-named unmanaged object is a problem;
- deletions (``-``) are planned only with ``prune``; without it the plan says how many
  it left out. Whole tenants and directorates are never pruned: ``tenant destroy`` does that;
- the rules of a managed security group are exactly the listed ones (plus allow-all egress
  unless ``restrict_egress``), so extra rules show as a change of the group;
- quotas are compared only where the recorded digest differs, or everywhere with ``refresh``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dcctl.core.plan import Action, Change, Op, Plan, diff_fields
from dcctl.core.problems import Location, Problem, error
from dcctl.tenants.mapping import (NEUTRON_KINDS, desired_quota, quota_digest, description, desired_rules, domain_tags, flat_from_live,
                                   group_name, is_managed_tags, is_marked, live_rule_key, marked, network_name,
                                   project_tags, quota_bodies, recorded_quota, router_name, rule_text,
                                   security_group_name, tag_value, with_quota_tag, without_quota_tag)
from dcctl.tenants.model import ROLE_IN_KEYSTONE, Role
from dcctl.tenants.snapshot import Snapshot
from dcctl.tenants.tenant_set import ProjectView, TenantSet


@dataclass(frozen=True)
class Ref:
    """The id an earlier action of the same apply will return."""

    key: str


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    tenants: frozenset[str] | None = None  # only these tenants (their slugs)
    phase: int | None = None  # only projects onboarded in this phase or earlier
    refresh: bool = False  # quotas were read for every managed project: compare them all
    existing_only: bool = False  # drift: leave out projects that were never applied


KIND_ORDER = ("domain", "project", "quota", "group", "role-grant", "network", "subnet", "router",
              "router-interface", "security-group", "security-group-rules", "rbac-link")


def quota_reads_needed(tenants: TenantSet, snap: Snapshot, refresh: bool = False) -> list[str]:
    """Projects whose quotas the plan must read: recorded digest differs (or all, with refresh)."""
    ids = []
    for project in tenants.projects():
        live = _live_project(snap, project)
        flat = desired_quota(project)
        if live is None or not is_managed_tags(live.get("tags")) or not flat:
            continue
        if refresh or recorded_quota(live.get("tags")) != quota_digest(flat):
            ids.append(live["id"])
    return ids


def _live_domain(snap: Snapshot, slug: str) -> dict | None:
    return snap.domain_by_name.get(slug)


def _live_project(snap: Snapshot, project: ProjectView) -> dict | None:
    domain = _live_domain(snap, project.tenant.slug)
    return snap.project_by_name.get((domain["id"], project.slug)) if domain else None


def plan_tenants(tenants: TenantSet, snap: Snapshot, options: PlanOptions = PlanOptions()
                 ) -> tuple[Plan, list[Problem]]:
    planner = _Planner(tenants, snap, options)
    planner.run()
    return planner.finish()


@dataclass
class _Planner:
    tenants: TenantSet
    snap: Snapshot
    options: PlanOptions
    actions: list[Action] = field(default_factory=list)
    deletions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)  # key -> live id or Ref
    blocked: set[str] = field(default_factory=set)  # project slugs not planned (a problem was found)
    reported: set[str] = field(default_factory=set)  # problems reported once per plan, not per tenant

    # -- building blocks ---------------------------------------------------------------
    def add(self, op: Op, kind: str, key: str, label: str, project: ProjectView | None, where: Location,
            changes=(), payload: dict | None = None, after: tuple[str, ...] = (), scope: str = "",
            phase: int | None = None) -> None:
        if any(a.key == key for a in (self.deletions if op is Op.DELETE else ())):
            return  # the same deletion reached from two sides (a network and its router)
        payload = dict(payload or {})
        payload["where"] = where
        payload["phase"] = phase if phase is not None else (project.phase if project else 1)
        payload["project"] = project.slug if project else ""
        deps = tuple(dict.fromkeys(_refs(payload) + [a for a in after if a]))
        action = Action(op=op, kind=kind, key=key, label=label,
                        scope=scope or (project.tenant.slug if project else ""),
                        changes=tuple(changes), depends_on=deps, payload=payload)
        (self.deletions if op is Op.DELETE else self.actions).append(action)
        if op is Op.CREATE:
            self.ids[key] = Ref(key)

    def id_of(self, key: str) -> Any:
        return self.ids.get(key)

    def problem(self, where: Location, message: str, hint: str, code: str) -> None:
        self.problems.append(error(where, message, hint, code=code))

    def duplicated(self, kind: str, project_id: str, name: str, where: Location) -> bool:
        """Two live objects answer to one name: say so rather than plan against either."""
        ids = self.snap.same_name.get((kind, project_id, name))
        if not ids:
            return False
        self.problem(where, f"the cloud has {len(ids)} {kind}s named '{name}' in this project ({', '.join(ids)}): "
                     "dcctl cannot tell which one is the tenant's",
                     f"keep the one in use and delete the others (e.g. `openstack {kind} "
                     f"delete ID`; a create whose answer was lost may have been retried), then plan again",
                     "duplicate-in-cloud")
        return True

    def unmanaged(self, where: Location, what: str) -> None:
        self.problem(where, f"{what} already exists in the cloud and is not managed by dcctl",
                     "dcctl never adopts or changes what it did not create: choose another name, "
                     "or have a cloud engineer remove or mark the existing object", "unmanaged-conflict")

    # -- the walk ------------------------------------------------------------------------
    def run(self) -> None:
        ordered = sorted(self.tenants.tenants.values(), key=lambda t: (t.phase, t.slug))
        for tenant in ordered:
            if self.options.existing_only and _live_domain(self.snap, tenant.slug) is None:
                continue
            self.tenant(tenant.slug)
        for project in self.tenants.projects():
            if project.slug not in self.blocked and self._wanted(project):
                self.links(project)
        self.prune_links()
        self.orphans()

    def _wanted(self, project: ProjectView) -> bool:
        if self.options.existing_only and _live_project(self.snap, project) is None:
            return False
        return project.tenant.slug not in self.blocked

    def tenant(self, slug: str) -> None:
        tenant = self.tenants.tenants[slug]
        top = next(p for p in self.tenants.projects() if p.slug == slug)
        where = self.tenants.at(slug, "slug")
        live = _live_domain(self.snap, slug)
        if live is not None and not is_managed_tags(live.get("tags")):
            self.unmanaged(where, f"domain '{slug}'")
            self.blocked.update(p.slug for p in self.tenants.projects() if p.tenant.slug == slug)
            return
        want = {"description": description(tenant.name), "tags": sorted(domain_tags(slug)), "enabled": True}
        key = f"domain:{slug}"
        if live is None:
            self.add(Op.CREATE, "domain", key, slug, top, where,
                     [Change("description", None, want["description"])],
                     {"body": {"name": slug, **want}})
        else:
            self.ids[key] = live["id"]
            current = {"description": live.get("description"), "tags": sorted(live.get("tags") or []),
                       "enabled": live.get("enabled", True)}
            changes = diff_fields(current, want)
            if changes:
                self.add(Op.UPDATE, "domain", key, slug, top, where, changes,
                         {"id": live["id"], "body": {c.field: c.new for c in changes}})
        projects = [p for p in self.tenants.projects() if p.tenant.slug == slug]
        for project in projects:
            if self.options.existing_only and _live_project(self.snap, project) is None:
                continue
            self.project(project)
        self.groups(slug, projects)
        self.monitoring_grant(slug, top)
        for project in projects:
            if project.slug in self.blocked or not self._wanted(project):
                continue
            self.networks(project)
            self.security_groups(project)
            self.quota(project)

    def project(self, project: ProjectView) -> None:
        where = self.tenants.project_at(project, "slug")
        live = _live_project(self.snap, project)
        key = f"project:{project.slug}"
        parent = None if project.is_top else self.id_of(f"project:{project.tenant.slug}")
        if live is not None and not is_managed_tags(live.get("tags")):
            self.unmanaged(where, f"project '{project.slug}'")
            self.blocked.add(project.slug)
            return
        if not project.is_top and parent is None:
            self.blocked.add(project.slug)  # its tenant's project is blocked: already reported
            return
        tags = project_tags(project)
        label = project.slug if project.is_top else f"{project.slug} (in {project.tenant.slug})"
        desc = description(project.names)
        if live is None:
            changes = [Change("description", None, desc), Change("tags", None, tags)]
            body = {"name": project.slug, "domain_id": self.id_of(f"domain:{project.tenant.slug}"),
                    "description": desc, "tags": tags, "enabled": True}
            if parent is not None:
                body["parent_id"] = parent
            self.add(Op.CREATE, "project", key, label, project, where, changes, {"body": body})
            return
        self.ids[key] = live["id"]
        current = {"description": live.get("description"), "tags": sorted(without_quota_tag(live.get("tags")))}
        changes = diff_fields(current, {"description": desc, "tags": sorted(tags)})
        if changes:
            keep = [t for t in live.get("tags") or [] if t.startswith("dcctl:quota=")]
            body = {c.field: c.new for c in changes}
            if "tags" in body:
                body["tags"] = tags + keep
            self.add(Op.UPDATE, "project", key, label, project, where, changes, {"id": live["id"], "body": body})

    def quota(self, project: ProjectView) -> None:
        """Quota sets of the three services, then the digest tag that says they are applied.

        A new project gets its limits after dcctl created its networking: a Neutron
        create that failed half-way can leave a quota reservation behind for minutes,
        which under a tight limit would refuse the retry.
        """
        flat = desired_quota(project)
        if not flat:
            return
        where = self.tenants.project_at(project, "quota", key=True)
        live = _live_project(self.snap, project)
        key = f"quota:{project.slug}"
        tags = project_tags(project)
        digest = quota_digest(flat)
        after = (f"project:{project.slug}",) if self._planned(f"project:{project.slug}") else ()
        if live is None:
            after += tuple(a.key for a in self.actions
                           if a.kind in NEUTRON_KINDS and a.payload.get("project") == project.slug)
            self.add(Op.CREATE, "quota", key, project.slug, project, where,
                     [Change(k, None, v) for k, v in flat.items()],
                     {"project_id": self.id_of(f"project:{project.slug}"), "bodies": quota_bodies(flat),
                      "tags": with_quota_tag(tags, digest), "new_project": True}, after=after)
            return
        recorded = recorded_quota(live.get("tags"))
        if not self.options.refresh and recorded == digest:
            return
        current = flat_from_live(self.snap.quotas.get(live["id"], {}), wanted=list(flat))
        changes = list(diff_fields(current, flat))
        if recorded != digest:
            changes.append(Change("recorded quota digest", recorded, digest))
        if not changes:
            return
        changed = {c.field: c.new for c in changes if c.field in flat}
        self.add(Op.UPDATE, "quota", key, project.slug, project, where, changes,
                 {"project_id": live["id"], "bodies": quota_bodies(changed),
                  "tags": with_quota_tag(tags, digest) if recorded != digest else None,
                  "new_project": recorded is None}, after=after)

    def _planned(self, key: str) -> bool:
        return any(a.key == key for a in self.actions)

    def groups(self, slug: str, projects: list[ProjectView]) -> None:
        tenant = self.tenants.tenants[slug]
        domain_id = self.id_of(f"domain:{slug}")
        live_domain = _live_domain(self.snap, slug)
        desired_names = set()
        desired_grants: set[tuple[str, str, str]] = set()  # (group name, project slug, role name)
        desired_domain_grants: set[tuple[str, str]] = set()  # (group name, role name) on the domain
        top = projects[0]
        for i, spec in enumerate(tenant.groups):
            name = group_name(slug, spec.name)
            desired_names.add(name)
            where = self.tenants.at(slug, "groups", i, "name")
            live = self.snap.group_by_name.get((live_domain["id"], name)) if live_domain else None
            key = f"group:{slug}/{spec.name}"
            if live is not None and not is_marked(live.get("description")):
                self.unmanaged(where, f"group '{name}'")
                continue
            desc = marked(f"{tenant.name.en}: {spec.role.value}" + (f" - {spec.description}" if spec.description else ""))
            if live is None:
                self.add(Op.CREATE, "group", key, name, top, where, [Change("description", None, desc)],
                         {"body": {"name": name, "domain_id": domain_id, "description": desc}})
            else:
                self.ids[key] = live["id"]
                if live.get("description") != desc:
                    self.add(Op.UPDATE, "group", key, name, top, where,
                             [Change("description", live.get("description"), desc)],
                             {"id": live["id"], "body": {"description": desc}})
            role_name = ROLE_IN_KEYSTONE[spec.role]
            role = self.snap.role_by_name.get(role_name)
            if role is None:
                self.problem(self.tenants.at(slug, "groups", i, "role"),
                             f"the cloud has no Keystone role '{role_name}' (for {spec.role.value})",
                             "ask a cloud engineer to create the role", "missing-role")
                continue
            if spec.role is Role.ADMIN:  # delegation: the tenant's admins manage its users and groups
                desired_domain_grants.add((name, role_name))
                if (self.id_of(key), domain_id, role["id"], False) not in self.snap.domain_grants:
                    self.add(Op.CREATE, "role-grant", f"grant:{slug}/{spec.name}@domain/{role_name}",
                             f"{role_name} for group {name} on domain {slug}", top, where,
                             [Change("role", None, f"{role_name} (domain)")],
                             {"group_id": self.id_of(key), "domain_id": domain_id, "role_id": role["id"]})
            targets = ([top] if spec.scope == "tenant" else projects if spec.scope == "all"
                       else [p for p in projects if p.slug == spec.scope])
            for project in targets:
                if project.slug in self.blocked or not self._wanted(project):
                    continue
                desired_grants.add((name, project.slug, role_name))
                group_id, project_id = self.id_of(key), self.id_of(f"project:{project.slug}")
                if (group_id, project_id, role["id"]) in self.snap.grants:
                    continue
                self.add(Op.CREATE, "role-grant", f"grant:{slug}/{spec.name}@{project.slug}/{role_name}",
                         f"{role_name} for group {name} on project {project.slug}", project, where,
                         [Change("role", None, role_name)],
                         {"group_id": group_id, "project_id": project_id, "role_id": role["id"]})
        if live_domain is None:
            return
        # prune: managed groups no longer asked for (Keystone drops their grants with them),
        # and grants of the groups still asked for that no request wants, on projects in scope
        wanted_projects = {p.slug for p in projects if self._wanted(p) and p.slug not in self.blocked}
        where = self.tenants.at(slug, "groups", key=True)
        for group in self.snap.groups:
            if group["domain_id"] != live_domain["id"] or not is_marked(group.get("description")):
                continue
            if group["name"] not in desired_names:
                self.add(Op.DELETE, "group", f"group:{slug}/{group['name']}", group["name"], top, where,
                         payload={"id": group["id"]})
                continue
            for group_id, project_id, role_id in sorted(self.snap.grants):
                live_project = self.snap.project_by_id.get(project_id, {})
                role = self.snap.role_by_id.get(role_id, {}).get("name", role_id)
                if group_id != group["id"] or live_project.get("name") not in wanted_projects \
                        or (group["name"], live_project.get("name"), role) in desired_grants:
                    continue
                self.add(Op.DELETE, "role-grant", f"grant:{group['name']}@{live_project['name']}/{role}",
                         f"{role} for group {group['name']} on project {live_project['name']}",
                         top, where, payload={"group_id": group_id, "project_id": project_id, "role_id": role_id})
            for group_id, on_domain, role_id, inherited in sorted(self.snap.domain_grants):
                role = self.snap.role_by_id.get(role_id, {}).get("name", role_id)
                if group_id != group["id"] or on_domain != live_domain["id"] or inherited \
                        or (group["name"], role) in desired_domain_grants:
                    continue
                self.add(Op.DELETE, "role-grant", f"grant:{group['name']}@domain/{role}",
                         f"{role} for group {group['name']} on domain {slug}", top, where,
                         payload={"group_id": group_id, "domain_id": on_domain, "role_id": role_id})

    def monitoring_grant(self, slug: str, top: ProjectView) -> None:
        """The policy's monitoring group reads every project of the tenant (inherited domain role)."""
        access = self.tenants.policy.monitoring
        if access is None:
            return
        domain = self.snap.domain_by_name.get(access.domain)
        group = self.snap.group_by_name.get((domain["id"], access.group)) if domain else None
        role = self.snap.role_by_name.get(access.role)
        if group is None or role is None:
            if "monitoring" not in self.reported:
                self.reported.add("monitoring")
                where = self.tenants.policy_doc.at(("monitoring",)) if self.tenants.policy_doc else Location("")
                what = (f"Keystone group '{access.group}' in domain '{access.domain}'" if group is None
                        else f"Keystone role '{access.role}'")
                self.problem(where, f"the monitoring access names a {what} that the cloud does not have",
                             "create it (and add the exporter's account to the group), or remove "
                             "`monitoring` from tenants/_policy.yaml", "missing-monitoring-group")
            return
        domain_id = self.id_of(f"domain:{slug}")
        if (group["id"], domain_id, role["id"], True) in self.snap.domain_grants:
            return
        self.add(Op.CREATE, "role-grant", f"grant:{slug}/monitoring", f"{access.role} for group {access.group} "
                 f"on every project of domain {slug} (monitoring)", top, self.tenants.at(slug, "slug"),
                 [Change("role", None, f"{access.role} (inherited)")],
                 {"group_id": group["id"], "domain_id": domain_id, "role_id": role["id"], "inherited": True})

    def networks(self, project: ProjectView) -> None:
        live_project = _live_project(self.snap, project)
        pid = self.id_of(f"project:{project.slug}")
        desired: set[str] = set()
        routed = []
        gateway_where = None
        for i, net in enumerate(project.networks):
            name = network_name(project.slug, net.name)
            desired.add(name)
            where = self.tenants.project_at(project, "networks", i, "name")
            if live_project and self.duplicated("network", live_project["id"], name, where):
                continue
            live = self.snap.network_by_name.get((live_project["id"], name)) if live_project else None
            key = f"network:{project.slug}/{net.name}"
            if live is not None and not is_marked(live.get("description")):
                self.unmanaged(where, f"network '{name}'")
                continue
            desc = marked(net.description)
            if live is None:
                self.add(Op.CREATE, "network", key, f"{name} (project {project.slug})", project, where,
                         [Change("shared with linked tenants", None, net.shared)] if net.shared else [],
                         {"body": {"name": name, "project_id": pid, "description": desc}})
            else:
                self.ids[key] = live["id"]
                if live.get("description") != desc:
                    self.add(Op.UPDATE, "network", key, f"{name} (project {project.slug})", project, where,
                             [Change("description", live.get("description"), desc)],
                             {"id": live["id"], "body": {"description": desc}})
            self.subnet(project, i, net, name, live)
            if net.router:
                routed.append((i, net))
                if net.external_gateway and gateway_where is None:
                    gateway_where = self.tenants.project_at(project, "networks", i, "external_gateway")
        self.router(project, routed, gateway_where)
        if live_project is None:
            return
        for live in self.snap.networks:
            if live["project_id"] != live_project["id"] or not is_marked(live.get("description")):
                continue
            if live["name"] in desired:
                continue
            where = self.tenants.project_at(project, "networks", key=True)
            subnets = self.snap.subnets_of.get(live["id"], [])
            after = []
            for subnet in subnets:
                for router_id, interfaces in self.snap.interfaces_of.items():
                    if subnet["id"] in interfaces:
                        ikey = f"interface:{router_id}/{subnet['id']}"
                        self.add(Op.DELETE, "router-interface", ikey,
                                 f"{self.snap.router_by_id.get(router_id, {}).get('name', router_id)} - {subnet['name']}",
                                 project, where, payload={"router_id": router_id, "subnet_id": subnet["id"]})
                        after.append(ikey)
            rbac = [r for (n, _t), r in self.snap.shares.items() if n == live["id"]]
            for r in rbac:
                rkey = f"link:rbac/{r['id']}"
                after.append(rkey)  # planned by prune_links
            self.add(Op.DELETE, "network", f"network:{project.slug}/{live['name']}", f"{live['name']} (project {project.slug})",
                     project, where, payload={"id": live["id"]}, after=tuple(after))

    def subnet(self, project: ProjectView, index: int, net, name: str, live_network: dict | None) -> None:
        where = self.tenants.project_at(project, "networks", index, "cidr")
        key = f"subnet:{project.slug}/{net.name}"
        live = None
        if live_network is not None:
            live = next((s for s in self.snap.subnets_of.get(live_network["id"], []) if s["name"] == name), None)
        want = {"enable_dhcp": net.dhcp, "description": marked("")}
        if live is None:
            body = {"name": name, "network_id": self.id_of(f"network:{project.slug}/{net.name}"),
                    "project_id": self.id_of(f"project:{project.slug}"), "cidr": str(net.cidr),
                    "ip_version": net.cidr.version, **want}
            self.add(Op.CREATE, "subnet", key, f"{name} (project {project.slug})", project, where,
                     [Change("cidr", None, str(net.cidr))] + ([] if net.dhcp else [Change("dhcp", None, False)]),
                     {"body": body})
            return
        self.ids[key] = live["id"]
        if live["cidr"] != str(net.cidr):
            self.problem(where, f"network '{net.name}' is {live['cidr']} in the cloud: a subnet's range cannot "
                         f"change in place to {net.cidr}",
                         "keep the old range, or give the network a new name (the old one is removed with --prune)",
                         "cidr-change")
            return
        changes = diff_fields({"enable_dhcp": live.get("enable_dhcp"), "description": live.get("description")}, want)
        if changes:
            self.add(Op.UPDATE, "subnet", key, f"{name} (project {project.slug})", project, where, changes,
                     {"id": live["id"], "body": {c.field: c.new for c in changes}})

    def router(self, project: ProjectView, routed: list, gateway_where: Location | None) -> None:
        live_project = _live_project(self.snap, project)
        name = router_name(project.slug)
        key = f"router:{project.slug}"
        live = self.snap.router_by_name.get((live_project["id"], name)) if live_project else None
        where = self.tenants.project_at(project, "networks", routed[0][0], "router") if routed else \
            self.tenants.project_at(project, "networks", key=True)
        if live_project and self.duplicated("router", live_project["id"], name, where):
            return
        if live is not None and not is_marked(live.get("description")):
            if routed:
                self.unmanaged(where, f"router '{name}'")
            return
        external = None
        if gateway_where is not None:
            ext = self.snap.external_network(self.tenants.policy.external_network)
            if ext is None:
                self.problem(gateway_where, f"the cloud has no external network "
                             f"'{self.tenants.policy.external_network}' for the gateway",
                             "ask a cloud engineer to create it, or fix external_network in tenants/_policy.yaml",
                             "no-external-network")
                return
            external = ext["id"]
        if not routed:
            if live is not None:  # prune: no network asks for a router any more
                after = []
                for subnet_id in self.snap.interfaces_of.get(live["id"], {}):
                    ikey = f"interface:{live['id']}/{subnet_id}"
                    self.add(Op.DELETE, "router-interface", ikey,
                             f"{name} - {self.snap.subnet_by_id.get(subnet_id, {}).get('name', subnet_id)}",
                             project, where, payload={"router_id": live["id"], "subnet_id": subnet_id})
                    after.append(ikey)
                self.add(Op.DELETE, "router", key, f"{name} (project {project.slug})", project, where,
                         payload={"id": live["id"]}, after=tuple(after))
            return
        desc = marked("")
        gateway = {"network_id": external} if external else {}
        if live is None:
            self.add(Op.CREATE, "router", key, f"{name} (project {project.slug})", project, where,
                     [Change("external gateway", None, external is not None)],
                     {"body": {"name": name, "project_id": self.id_of(f"project:{project.slug}"),
                               "description": desc, **({"external_gateway_info": gateway} if gateway else {})}})
        else:
            self.ids[key] = live["id"]
            live_external = (live.get("external_gateway_info") or {}).get("network_id")
            if live_external != external:
                self.add(Op.UPDATE, "router", key, f"{name} (project {project.slug})", project, where,
                         [Change("external gateway", live_external is not None, external is not None)],
                         {"id": live["id"], "body": {"external_gateway_info": gateway}})
        attached = self.snap.interfaces_of.get(live["id"], {}) if live else {}
        wanted_subnets = set()
        for i, net in routed:
            subnet_id = self.id_of(f"subnet:{project.slug}/{net.name}")
            if subnet_id is None:
                continue  # the subnet has a problem of its own
            wanted_subnets.add(subnet_id)
            if subnet_id in attached:
                continue
            self.add(Op.CREATE, "router-interface", f"interface:{project.slug}/{net.name}",
                     f"{name} - {network_name(project.slug, net.name)}", project,
                     self.tenants.project_at(project, "networks", i, "router"),
                     [Change("subnet", None, str(net.cidr))],
                     {"router_id": self.id_of(key), "subnet_id": subnet_id})
        for subnet_id in attached:
            if subnet_id not in wanted_subnets:
                subnet = self.snap.subnet_by_id.get(subnet_id, {})
                self.add(Op.DELETE, "router-interface", f"interface:{live['id']}/{subnet_id}",
                         f"{name} - {subnet.get('name', subnet_id)}", project, where,
                         payload={"router_id": live["id"], "subnet_id": subnet_id})

    def security_groups(self, project: ProjectView) -> None:
        live_project = _live_project(self.snap, project)
        names = {g["id"]: g["name"] for g in self.snap.security_groups}
        desired: set[str] = set()
        deferred: dict[str, tuple] = {}  # new group key -> (rules naming later new groups, where, name, all rules)
        for i, spec in enumerate(project.security_groups):
            name = security_group_name(project.slug, spec.name)
            desired.add(name)
            where = self.tenants.project_at(project, "security_groups", i, "name")
            if live_project and self.duplicated("security group", live_project["id"], name, where):
                continue
            live = self.snap.sg_by_name.get((live_project["id"], name)) if live_project else None
            key = f"sg:{project.slug}/{spec.name}"
            if live is not None and not is_marked(live.get("description")):
                self.unmanaged(where, f"security group '{name}'")
                continue
            want_rules = desired_rules(project.slug, spec)
            remotes = {}  # remote group name -> id or Ref
            later = []  # remote groups created after this one: their rules follow in a second action
            for rule in want_rules:
                if rule[6] and rule[6] != name:
                    remote_key = f"sg:{project.slug}/{rule[6][len(project.slug) + 1:]}"
                    remotes[rule[6]] = self.id_of(remote_key)
                    if remotes[rule[6]] is None:
                        later.append(remote_key)
            desc = marked(spec.description)
            label = f"{name} (project {project.slug})"
            if live is None:
                now = [r for r in want_rules if not (r[6] and r[6] != name and remotes.get(r[6]) is None)]
                self.add(Op.CREATE, "security-group", key, label, project, where,
                         [Change("rule", None, rule_text(r)) for r in now],
                         {"body": {"name": name, "project_id": self.id_of(f"project:{project.slug}"),
                                   "description": desc},
                          "name": name, "want": now, "add": now, "remove": [],
                          "remotes": {k: v for k, v in remotes.items() if v is not None}})
                if later:
                    deferred[key] = ([r for r in want_rules if r not in now], where, name, want_rules)
                continue
            self.ids[key] = live["id"]
            have = {live_rule_key(r, names): r["id"] for r in live.get("security_group_rules", [])}
            add = [r for r in want_rules if r not in have]
            remove = {have[r]: r for r in have if r not in want_rules}
            changes = ([Change("description", live.get("description"), desc)] if live.get("description") != desc else [])
            changes += [Change("rule", None, rule_text(r)) for r in add]
            changes += [Change("rule", rule_text(r), None) for r in remove.values()]
            if changes:
                self.add(Op.UPDATE, "security-group", key, label, project, where, changes,
                         {"id": live["id"], "name": name, "project_id": live["project_id"],
                          "body": {"description": desc} if live.get("description") != desc else {},
                          "want": want_rules, "add": add, "remove": sorted(remove), "remotes": remotes})
        # rules that name a group declared later in the file and created in the same apply
        for key, (rest, where, name, want_rules) in deferred.items():
            remotes = {r[6]: self.id_of(f"sg:{project.slug}/{r[6][len(project.slug) + 1:]}")
                       for r in want_rules if r[6] and r[6] != name}
            self.add(Op.UPDATE, "security-group-rules", f"{key}#rules", f"{key.split('/', 1)[1]} (project {project.slug})",
                     project, where, [Change("rule", None, rule_text(r)) for r in rest],
                     {"id": self.id_of(key), "name": name, "project_id": self.id_of(f"project:{project.slug}"),
                      "body": {}, "want": want_rules, "add": rest, "remove": [],
                      "remotes": remotes})
        if live_project is None:
            return
        for live in self.snap.security_groups:
            if live["project_id"] == live_project["id"] and is_marked(live.get("description")) \
                    and live["name"] not in desired:
                self.add(Op.DELETE, "security-group", f"sg:{project.slug}/{live['name']}",
                         f"{live['name']} (project {project.slug})", project,
                         self.tenants.project_at(project, "security_groups", key=True), payload={"id": live["id"]})

    def links(self, project: ProjectView) -> None:
        target = self.id_of(f"project:{project.slug}")
        if target is None:
            return
        for i, link in enumerate(project.links):
            owner_slug, net_name = link.split("/", 1)
            where = self.tenants.project_at(project, "links", i)
            owner = self.tenants.project(owner_slug)
            network = self.id_of(f"network:{owner_slug}/{net_name}")
            if owner is None or network is None:
                if owner is not None and owner.slug not in self.blocked and not self.options.existing_only:
                    self.problem(where, f"link '{link}': the network is not planned", "fix the owner's request first",
                                 "link-unplanned")
                continue
            if not isinstance(network, Ref) and not isinstance(target, Ref) and (network, target) in self.snap.shares:
                continue
            owner_quota = f"quota:{owner_slug}"
            self.add(Op.CREATE, "rbac-link", f"link:{project.slug}->{link}",
                     f"{network_name(owner_slug, net_name)} shared with project {project.slug}", project, where,
                     [Change("access_as_shared", None, project.slug)],
                     {"body": {"object_type": "network", "object_id": network, "action": "access_as_shared",
                               "target_tenant": target, "project_id": self.id_of(f"project:{owner_slug}")}},
                     after=(owner_quota,) if self._planned(owner_quota) else ())

    def prune_links(self) -> None:
        """RBAC policies on managed networks that no request asks for."""
        wanted: set[tuple[str, str]] = set()
        for project in self.tenants.projects():
            target = self.id_of(f"project:{project.slug}")
            for link in project.links:
                owner_slug, net_name = link.split("/", 1)
                network = self.id_of(f"network:{owner_slug}/{net_name}")
                if isinstance(network, str) and isinstance(target, str):
                    wanted.add((network, target))
        for (network_id, target_id), policy in sorted(self.snap.shares.items()):
            network = self.snap.network_by_id.get(network_id)
            if network is None or not is_marked(network.get("description")) or (network_id, target_id) in wanted:
                continue
            owner = self.snap.project_by_id.get(network["project_id"], {})
            if not is_managed_tags(owner.get("tags")):
                continue
            target = self.snap.project_by_id.get(target_id, {})
            scope_tags = target.get("tags") if is_managed_tags(target.get("tags")) else owner.get("tags")
            scope = tag_value(scope_tags, "tenant") or ""
            if scope not in self.tenants.tenants:
                continue  # a tenant with no request: `tenant destroy` handles it
            phase = int(tag_value(scope_tags, "phase") or 1)
            self.add(Op.DELETE, "rbac-link", f"link:rbac/{policy['id']}",
                     f"{network['name']} shared with project {target.get('name', target_id)}", None,
                     self.tenants.at(scope, "slug"), payload={"id": policy["id"]}, scope=scope, phase=phase)

    def orphans(self) -> None:
        """Managed domains and projects that no request asks for: say so, never delete them here."""
        wanted = {p.slug for p in self.tenants.projects()}
        for live in self.snap.managed_projects():
            tenant = tag_value(live.get("tags"), "tenant")
            if live["name"] in wanted or tenant in self.tenants.invalid:
                continue
            if self.options.tenants is not None and tenant not in self.options.tenants:
                continue
            self.notes.append(f"project {live['name']} (tenant {tenant}) is managed by dcctl but no request "
                              f"asks for it: remove it with `dcctl tenant destroy {live['name']} --allow-destroy`")

    # -- result ------------------------------------------------------------------------------
    def finish(self) -> tuple[Plan, list[Problem]]:
        every = self.actions + self.deletions
        keep = [a for a in every if self._in_scope(a)]
        left_out = [a for a in keep if a.op is Op.DELETE] if not self.options.prune else []
        keep = [a for a in keep if a.op is not Op.DELETE or self.options.prune]
        planned = {a.key for a in every}
        kept = {a.key for a in keep}
        for action in keep:
            for dep in action.depends_on:
                if dep in planned and dep not in kept:
                    other = next(a for a in every if a.key == dep)
                    self.problem(action.payload["where"],
                                 f"{action.kind} {action.label} needs {other.kind} {other.label}, "
                                 f"which is not part of this run",
                                 f"apply tenant {other.scope} first (or include it with --tenant / --phase)",
                                 "needs-other-tenant")
        if left_out:
            self.notes.append(f"{len(left_out)} deletion(s) not planned: run with --prune to remove "
                              "managed objects that the requests no longer ask for")
        order = {k: i for i, k in enumerate(KIND_ORDER)}
        tenant_rank = {t.slug: (t.phase, t.slug) for t in self.tenants.tenants.values()}
        keep.sort(key=lambda a: (tenant_rank.get(a.scope, (9, a.scope)), a.op is Op.DELETE, order.get(a.kind, 99)))
        return Plan(keep, list(self.notes)), self.problems

    def _in_scope(self, action: Action) -> bool:
        if self.options.tenants is not None and action.scope not in self.options.tenants:
            return False
        return self.options.phase is None or action.payload.get("phase", 1) <= self.options.phase


def _refs(value: Any) -> list[str]:
    if isinstance(value, Ref):
        return [value.key]
    if isinstance(value, dict):
        return [k for v in value.values() for k in _refs(v)]
    if isinstance(value, (list, tuple)):
        return [k for v in value for k in _refs(v)]
    return []
