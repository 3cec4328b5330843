"""The lab's OpenStack answers real API calls through openstacksdk and the generated clouds.yaml."""

from __future__ import annotations

import uuid

import pytest


def _name(kind: str) -> str:
    return f"dcctl-test-{kind}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def project(admin_cloud, require):
    """A throwaway project in domain Default, deleted after the test."""
    require("keystone")
    p = admin_cloud.identity.create_project(name=_name("project"), domain_id="default")
    yield p
    admin_cloud.identity.delete_project(p, ignore_missing=True)


def test_keystone_creates_domain_child_project_user_and_role_assignment(admin_cloud, require):
    require("keystone")
    identity = admin_cloud.identity
    domain = identity.create_domain(name=_name("domain"))
    parent = child = user = None
    try:
        parent = identity.create_project(name=_name("ministry"), domain_id=domain.id)
        child = identity.create_project(name=_name("directorate"), domain_id=domain.id, parent_id=parent.id)
        user = identity.create_user(name=_name("user"), domain_id=domain.id, password=uuid.uuid4().hex)
        member = identity.find_role("member")
        identity.assign_project_role_to_user(child, user, member)

        assert identity.get_project(child.id).parent_id == parent.id
        assert identity.validate_user_has_project_role(child, user, member)
        assignments = list(identity.role_assignments(user_id=user.id, scope_project_id=child.id))
        assert [a.role["id"] for a in assignments] == [member.id]
    finally:
        if user is not None:
            identity.delete_user(user)
        for p in (child, parent):
            if p is not None:
                identity.delete_project(p)
        identity.update_domain(domain, is_enabled=False)
        identity.delete_domain(domain)
    assert identity.find_domain(domain.name) is None


def test_neutron_builds_network_subnet_router_security_group_rbac_and_quota(admin_cloud, project, require):
    require("neutron")
    net = admin_cloud.network
    other = admin_cloud.identity.create_project(name=_name("peer"), domain_id="default")
    created = []
    try:
        network = net.create_network(name=_name("net"), project_id=project.id)
        created.append((net.delete_network, network))
        subnet = net.create_subnet(network_id=network.id, ip_version=4, cidr="10.50.0.0/24",
                                   name=_name("subnet"), project_id=project.id)
        created.append((net.delete_subnet, subnet))
        router = net.create_router(name=_name("router"), project_id=project.id)
        created.append((net.delete_router, router))
        net.add_interface_to_router(router, subnet=subnet.id)
        created.append((lambda r: net.remove_interface_from_router(r, subnet=subnet.id), router))

        ports = list(net.ports(device_id=router.id))
        assert [p.fixed_ips[0]["subnet_id"] for p in ports] == [subnet.id]
        assert ports[0].fixed_ips[0]["ip_address"] == "10.50.0.1"

        group = net.create_security_group(name=_name("sg"), project_id=project.id)
        created.append((net.delete_security_group, group))
        rule = net.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                              protocol="tcp", port_range_min=22, port_range_max=22,
                                              remote_ip_prefix="10.0.0.0/8", ethertype="IPv4")
        assert rule.id in {r["id"] for r in net.get_security_group(group).security_group_rules}

        rbac = net.create_rbac_policy(object_type="network", object_id=network.id,
                                      action="access_as_shared", target_project_id=other.id)
        created.append((net.delete_rbac_policy, rbac))
        assert net.get_rbac_policy(rbac).target_project_id == other.id

        net.update_quota(project.id, networks=7, routers=3)
        quota = net.get_quota(project.id)
        assert (quota.networks, quota.routers) == (7, 3)
        created.append((lambda p: net.delete_quota(p), project.id))
    finally:
        for delete, obj in reversed(created):
            delete(obj)
        admin_cloud.identity.delete_project(other)
    assert net.find_network(network.name) is None


def test_nova_quota_set_reads_and_updates_for_any_project(admin_cloud, project, require):
    require("nova")
    compute = admin_cloud.compute
    before = compute.get_quota_set(project.id)
    assert before.instances > 0
    compute.update_quota_set(project.id, instances=17, cores=33, ram=65536)
    after = compute.get_quota_set(project.id)
    assert (after.instances, after.cores, after.ram) == (17, 33, 65536)
    compute.revert_quota_set(project.id)
    assert compute.get_quota_set(project.id).instances == before.instances


def test_nova_creates_and_lists_flavors(admin_cloud, require):
    require("nova")
    compute = admin_cloud.compute
    flavor = compute.create_flavor(name=_name("flavor"), vcpus=2, ram=4096, disk=20)
    try:
        assert flavor.name in {f.name for f in compute.flavors()}
        assert compute.get_flavor(flavor.id).vcpus == 2
    finally:
        compute.delete_flavor(flavor)


def test_cinder_quota_set_reads_and_updates_for_any_project(admin_cloud, project, require):
    require("cinder")
    storage = admin_cloud.block_storage
    before = storage.get_quota_set(project.id)
    storage.update_quota_set(project.id, volumes=21, gigabytes=2100)
    after = storage.get_quota_set(project.id)
    assert (after.volumes, after.gigabytes) == (21, 2100)
    storage.revert_quota_set(project.id)
    assert storage.get_quota_set(project.id).volumes == before.volumes


def test_reader_account_lists_but_cannot_create(reader_cloud, admin_cloud, require):
    import openstack
    from openstack import exceptions

    require("keystone", "neutron", "nova")
    assert reader_cloud.current_project_id == admin_cloud.current_project_id
    assert {r.id for r in reader_cloud.identity.regions()} >= {"RegionOne"}
    list(reader_cloud.network.networks())
    list(reader_cloud.compute.flavors())
    with pytest.raises(exceptions.ForbiddenException):
        reader_cloud.network.create_network(name=_name("reader-net"))
    with pytest.raises(exceptions.ForbiddenException):
        reader_cloud.compute.create_flavor(name=_name("reader-flavor"), vcpus=1, ram=512, disk=1)

    system = openstack.connect(cloud="dcctl-lab-reader-system")
    try:
        assert "admin" in {p.name for p in system.identity.projects()}
        with pytest.raises(exceptions.ForbiddenException):
            system.identity.create_project(name=_name("reader-project"), domain_id="default")
    finally:
        system.close()
    assert admin_cloud.network.find_network("reader-net") is None
