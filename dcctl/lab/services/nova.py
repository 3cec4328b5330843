"""Nova API (no compute service, no placement): flavors and quota sets for any project.

Nova reads ``nova.conf`` and ``api-paste.ini`` from ``OS_NOVA_CONFIG_DIR``; its API,
cell0 and main databases are SQLite files, built once with ``nova-manage``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dcctl.lab.service import Lab
from dcctl.lab.services.openstack_api import GunicornApp, authtoken, run_tool, sqlite_url, write_ini


class Nova(GunicornApp):
    name = "nova"
    depends_on = ("keystone",)
    wsgi_module = "nova.wsgi.osapi_compute"
    ready_timeout = 90.0

    def conf(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name) / "nova.conf"

    def app_env(self, lab: Lab) -> dict[str, str]:
        return {"OS_NOVA_CONFIG_DIR": str(lab.paths.etc(self.name))}

    def prepare(self, lab: Lab) -> None:
        data = lab.paths.data(self.name)
        data.mkdir(parents=True, exist_ok=True)
        etc = lab.paths.etc(self.name)
        etc.mkdir(parents=True, exist_ok=True)
        paste = lab.paths.venv / "etc" / "nova" / "api-paste.ini"
        if not (etc / "api-paste.ini").exists():
            shutil.copyfile(paste, etc / "api-paste.ini")
        write_ini(self.conf(lab), {
            "DEFAULT": {
                "transport_url": "fake:/",
                "state_path": data,
                "use_stderr": "true",
                "debug": "false",
            },
            "api": {"auth_strategy": "keystone"},
            "api_database": {"connection": sqlite_url(data / "nova_api.sqlite")},
            "database": {"connection": sqlite_url(data / "nova.sqlite")},
            "keystone_authtoken": authtoken(lab, "nova"),
            "oslo_concurrency": {"lock_path": data / "lock"},
            "oslo_messaging_notifications": {"driver": "noop"},
            "wsgi": {"api_paste_config": etc / "api-paste.ini"},
        })
        if self.initialised(lab).exists():
            return
        manage = [str(lab.paths.bin("nova-manage")), "--config-file", str(self.conf(lab))]
        run_tool(lab, self.name, manage + ["api_db", "sync"])
        run_tool(lab, self.name, manage + ["cell_v2", "map_cell0", "--database_connection",
                                           sqlite_url(data / "nova_cell0.sqlite")])
        run_tool(lab, self.name, manage + ["db", "sync"])
        self.initialised(lab).write_text("ok\n")
