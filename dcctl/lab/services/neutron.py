"""Neutron API: ML2 and the router service plugin, no agents.

Networks, subnets, routers with interfaces, security groups, RBAC and quotas are
all API and database work, so they need no agent. ``neutron-db-manage upgrade``
fails on SQLite, so the schema is built from the models, then stamped at heads.
"""

from __future__ import annotations

from pathlib import Path

from dcctl.lab.service import Lab
from dcctl.lab.services.openstack_api import GunicornApp, authtoken, run_tool, sqlite_url, write_ini

CREATE_SCHEMA = """
import sys
import sqlalchemy
from neutron.db.migration.models import head
head.get_metadata().create_all(sqlalchemy.create_engine(sys.argv[1]))
"""


class Neutron(GunicornApp):
    name = "neutron"
    depends_on = ("keystone",)
    wsgi_module = "neutron.wsgi.api"
    ready_timeout = 90.0

    def conf(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name) / "neutron.conf"

    def app_args(self, lab: Lab) -> list[str]:
        return ["--config-file", str(self.conf(lab))]

    def prepare(self, lab: Lab) -> None:
        data = lab.paths.data(self.name)
        data.mkdir(parents=True, exist_ok=True)
        database = sqlite_url(data / "neutron.sqlite")
        write_ini(self.conf(lab), {
            "DEFAULT": {
                "core_plugin": "ml2",
                "service_plugins": "router",
                "auth_strategy": "keystone",
                "transport_url": "fake:/",
                "api_paste_config": lab.paths.venv / "etc" / "neutron" / "api-paste.ini",
                "state_path": data,
                "allow_overlapping_ips": "true",
                "dhcp_agent_notification": "false",
                "notify_nova_on_port_status_changes": "false",
                "notify_nova_on_port_data_changes": "false",
                "rpc_workers": 0,
                "rpc_state_report_workers": 0,
                "use_stderr": "true",
                "debug": "false",
            },
            "database": {"connection": database},
            "keystone_authtoken": authtoken(lab, "neutron"),
            "ml2": {
                "type_drivers": "flat,vlan,vxlan",
                "tenant_network_types": "vxlan",
                "mechanism_drivers": "",
                "extension_drivers": "port_security",
            },
            "ml2_type_flat": {"flat_networks": "*"},
            "ml2_type_vlan": {"network_vlan_ranges": "physnet1:100:999"},
            "ml2_type_vxlan": {"vni_ranges": "1:10000"},
            "oslo_concurrency": {"lock_path": data / "lock"},
            "oslo_messaging_notifications": {"driver": "noop"},
        })
        if self.initialised(lab).exists():
            return
        run_tool(lab, self.name, [str(lab.paths.bin("python")), "-c", CREATE_SCHEMA, database])
        run_tool(lab, self.name, [str(lab.paths.bin("neutron-db-manage")), "--config-file", str(self.conf(lab)),
                                  "stamp", "heads"])
        self.initialised(lab).write_text("ok\n")
