"""Keystone: the lab's identity service and service catalog (SQLite, fernet tokens).

Keystone also owns the lab's accounts: ``admin`` (bootstrap), one service user per
API that validates tokens, and ``dcctl-reader``, a read-only account with the
``reader`` role system-wide and, inherited, on every project of domain Default.
Its ``post_start`` registers every lab API in the catalog, so the other services
only need to be running for their entries to work.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dcctl.core.errors import ServiceError
from dcctl.lab.service import Lab
from dcctl.lab.services.openstack_api import (SERVICE_PROJECT, GunicornApp, password, run_tool,
                                              sqlite_url, write_ini)

REGION = "RegionOne"
ADMIN_USER = "admin"
ADMIN_PROJECT = "admin"
READER_USER = "dcctl-reader"
MONITORING_GROUP = "dcctl-monitoring"
SERVICE_USERS = ("neutron", "nova", "cinder")

# (service name, service type, URL path after the service's base URL, lab service giving the port)
CATALOG: tuple[tuple[str, str, str, str], ...] = (
    ("neutron", "network", "", "neutron"),
    ("nova", "compute", "/v2.1", "nova"),
    ("cinderv3", "volumev3", "/v3/%(project_id)s", "cinder"),
    ("ironic", "baremetal", "", "ironic"),
)
INTERFACES = ("public", "internal", "admin")


class Keystone(GunicornApp):
    name = "keystone"
    wsgi_module = "keystone.wsgi.api"
    # one process, so its in-memory cache never serves another worker's stale data; one thread,
    # because concurrent writes to its SQLite database fail with "database is locked" (HTTP 500:
    # 72 of 1,680 writes of an 800-user import with 4 threads, none with 1, and the import ran
    # 5 % faster: Keystone's request handling is CPU-bound under the GIL anyway)
    workers = 1
    threads = 1
    ready_path = "/v3"
    ready_timeout = 60.0

    def conf(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name) / "keystone.conf"

    def app_env(self, lab: Lab) -> dict[str, str]:
        return {"OS_KEYSTONE_CONFIG_FILES": str(self.conf(lab))}

    def prepare(self, lab: Lab) -> None:
        data = lab.paths.data(self.name)
        data.mkdir(parents=True, exist_ok=True)
        write_ini(self.conf(lab), {
            "DEFAULT": {"debug": "false", "use_stderr": "true"},
            "database": {"connection": sqlite_url(data / "keystone.sqlite")},
            "token": {"provider": "fernet", "expiration": 86400},
            "fernet_tokens": {"key_repository": data / "fernet-keys"},
            "fernet_receipts": {"key_repository": data / "fernet-keys"},
            "credential": {"key_repository": data / "credential-keys"},
            # the minimum bcrypt cost: password checks stay cheap on a 2-core lab machine
            "identity": {"password_hash_rounds": 4, "max_password_length": 72},
            "cache": {"enabled": "true", "backend": "dogpile.cache.memory"},
            "oslo_concurrency": {"lock_path": data / "lock"},
        })
        if self.initialised(lab).exists():
            return
        manage = [str(lab.paths.bin("keystone-manage")), "--config-file", str(self.conf(lab))]
        owner = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
        steps = [manage + ["db_sync"], manage + ["fernet_setup", *owner], manage + ["credential_setup", *owner]]
        with ThreadPoolExecutor(len(steps)) as pool:  # independent; each is mostly Python start-up
            for done in [pool.submit(run_tool, lab, self.name, step) for step in steps]:
                done.result()
        url = lab.url(self.name) + "/v3"
        run_tool(lab, self.name, manage + [
            "bootstrap", f"--bootstrap-password={password(lab.paths, ADMIN_USER)}",
            "--bootstrap-username", ADMIN_USER, "--bootstrap-project-name", ADMIN_PROJECT,
            "--bootstrap-role-name", "admin", "--bootstrap-service-name", "keystone",
            "--bootstrap-region-id", REGION, "--bootstrap-admin-url", url,
            "--bootstrap-internal-url", url, "--bootstrap-public-url", url,
        ])
        self.initialised(lab).write_text("ok\n")

    def post_start(self, lab: Lab) -> None:
        api = IdentityAPI.login(lab.url(self.name), ADMIN_USER, password(lab.paths, ADMIN_USER), ADMIN_PROJECT)
        for region in [REGION, *inventory_regions(lab)]:
            api.ensure_region(region)
        default = "default"
        service_project = api.ensure("projects", {"name": SERVICE_PROJECT, "domain_id": default,
                                                  "description": "Lab service accounts"})
        roles = {r["name"]: r["id"] for r in api.get("/v3/roles")["roles"]}
        for role in ("admin", "member", "reader", "service"):
            if role not in roles:
                roles[role] = api.ensure("roles", {"name": role})["id"]
        for account in SERVICE_USERS:
            user = api.ensure_user(account, password(lab.paths, account), default)
            for role in ("admin", "service"):
                api.put(f"/v3/projects/{service_project['id']}/users/{user['id']}/roles/{roles[role]}")
        reader = api.ensure_user(READER_USER, password(lab.paths, READER_USER), default)
        api.put(f"/v3/system/users/{reader['id']}/roles/{roles['reader']}")
        api.put(f"/v3/OS-INHERIT/domains/{default}/users/{reader['id']}/roles/{roles['reader']}"
                "/inherited_to_projects")
        admin_project = api.find("projects", name=ADMIN_PROJECT, domain_id=default)
        api.put(f"/v3/projects/{admin_project['id']}/users/{reader['id']}/roles/{roles['reader']}")
        # tenant apply grants this group `reader` on every tenant domain (tenants/_policy.yaml
        # `monitoring`), so the exporter can read each ministry's quota use with a scoped token
        monitoring = api.find("groups", name=MONITORING_GROUP, domain_id=default) or api.post(
            "/v3/groups", {"group": {"name": MONITORING_GROUP, "domain_id": default,
                                     "description": "Accounts that read tenants' quotas (dcctl exporter)"}})["group"]
        api.put(f"/v3/groups/{monitoring['id']}/users/{reader['id']}")
        for name, service_type, path, port_of in CATALOG:
            api.ensure_service(name, service_type, lab.url(port_of) + path)


def inventory_regions(lab: Lab) -> list[str]:
    """Region names of the sites in the lab's inventory (none when it has no inventory)."""
    directory = Path(lab.inventory_dir) if lab.inventory_dir else None
    if directory is None or not directory.exists():
        return []
    from dcctl.inventory.load import load_inventory

    inventory, _problems = load_inventory(directory)
    return sorted({site.region for site in inventory.sites.values()})


class IdentityAPI:
    """Just enough of Keystone's v3 REST API, over urllib, to set up the lab idempotently."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    @classmethod
    def login(cls, url: str, user: str, secret: str, project: str) -> "IdentityAPI":
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "password": secret, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }}
        api = cls(url, "")
        _, headers = api._call("POST", "/v3/auth/tokens", body)
        api.token = headers["X-Subject-Token"]
        return api

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        if self.token:
            request.add_header("X-Auth-Token", self.token)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return (json.loads(raw) if raw else {}), response.headers
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise ServiceError(f"lab keystone: {method} {path} answered {exc.code}: {detail}") from None
        except OSError as exc:
            raise ServiceError(f"lab keystone: {method} {self.url}{path} failed: {exc}") from None

    def get(self, path: str) -> dict:
        return self._call("GET", path)[0]

    def post(self, path: str, body: dict) -> dict:
        return self._call("POST", path, body)[0]

    def put(self, path: str, body: dict | None = None) -> dict:
        return self._call("PUT", path, body)[0]

    def patch(self, path: str, body: dict) -> dict:
        return self._call("PATCH", path, body)[0]

    def find(self, collection: str, **query: str) -> dict | None:
        found = self.get(f"/v3/{collection}?{urllib.parse.urlencode(query)}")[collection]
        return found[0] if found else None

    def ensure(self, collection: str, attrs: dict) -> dict:
        """The object of ``collection`` named ``attrs['name']``, created with ``attrs`` if missing."""
        query = {k: v for k, v in attrs.items() if k in ("name", "domain_id", "type")}
        existing = self.find(collection, **query)
        if existing is not None:
            return existing
        return self.post(f"/v3/{collection}", {collection[:-1]: attrs})[collection[:-1]]

    def ensure_region(self, region: str) -> None:
        try:
            self.get(f"/v3/regions/{urllib.parse.quote(region)}")
        except ServiceError:
            self.post("/v3/regions", {"region": {"id": region}})

    def ensure_user(self, name: str, secret: str, domain_id: str) -> dict:
        """The user ``name``, its password reset to the lab's (the state dir is the source of truth)."""
        user = self.find("users", name=name, domain_id=domain_id)
        if user is None:
            return self.post("/v3/users", {"user": {"name": name, "password": secret,
                                                    "domain_id": domain_id}})["user"]
        self.patch(f"/v3/users/{user['id']}", {"user": {"password": secret}})
        return user

    def ensure_service(self, name: str, service_type: str, url: str) -> None:
        """A catalog service with one endpoint per interface in RegionOne, all at ``url``."""
        service = self.find("services", type=service_type) or self.post(
            "/v3/services", {"service": {"name": name, "type": service_type, "enabled": True}})["service"]
        endpoints = self.get(f"/v3/endpoints?service_id={service['id']}")["endpoints"]
        for interface in INTERFACES:
            current = [e for e in endpoints if e["interface"] == interface and e.get("region_id") == REGION]
            if not current:
                self.post("/v3/endpoints", {"endpoint": {"service_id": service["id"], "interface": interface,
                                                         "region_id": REGION, "url": url}})
            elif current[0]["url"] != url:
                self.patch(f"/v3/endpoints/{current[0]['id']}", {"endpoint": {"url": url}})
