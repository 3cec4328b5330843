"""Cinder API (no scheduler or volume service): volume quota sets for any project.

Catalogued as ``volumev3`` at ``.../v3/%(project_id)s``; SQLite database built once
with ``cinder-manage db sync``.
"""

from __future__ import annotations

from pathlib import Path

from dcctl.lab.service import Lab
from dcctl.lab.services.openstack_api import GunicornApp, authtoken, run_tool, sqlite_url, write_ini


class Cinder(GunicornApp):
    name = "cinder"
    depends_on = ("keystone",)
    wsgi_module = "cinder.wsgi.api"
    ready_timeout = 90.0

    def conf(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name) / "cinder.conf"

    def app_args(self, lab: Lab) -> list[str]:
        return ["--config-file", str(self.conf(lab))]

    def prepare(self, lab: Lab) -> None:
        data = lab.paths.data(self.name)
        data.mkdir(parents=True, exist_ok=True)
        write_ini(self.conf(lab), {
            "DEFAULT": {
                "auth_strategy": "keystone",
                "transport_url": "fake:/",
                "api_paste_config": lab.paths.venv / "etc" / "cinder" / "api-paste.ini",
                "state_path": data,
                "use_stderr": "true",
                "debug": "false",
            },
            "database": {"connection": sqlite_url(data / "cinder.sqlite")},
            "keystone_authtoken": authtoken(lab, "cinder"),
            "oslo_concurrency": {"lock_path": data / "lock"},
            "oslo_messaging_notifications": {"driver": "noop"},
        })
        if self.initialised(lab).exists():
            return
        run_tool(lab, self.name, [str(lab.paths.bin("cinder-manage")), "--config-file", str(self.conf(lab)),
                                  "db", "sync"])
        self.initialised(lab).write_text("ok\n")
