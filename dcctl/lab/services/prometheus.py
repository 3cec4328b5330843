"""Prometheus from Debian's package, run by the lab (never the system service).

``apt-get install prometheus`` may start a system Prometheus on ``:9090`` where an init
system exists; the lab leaves it alone. The lab's own one listens on
``127.0.0.1:29090`` only, keeps its TSDB in the lab's state dir and reads a copy of
``monitoring/prometheus.yml`` (scrapes itself, the dcctl exporter on
``127.0.0.1:9180``, node_exporter targets through file_sd). Facts published:
``prometheus_url``.
"""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

from dcctl.lab.service import HOST, PORTS, Lab, LabService

BINARY = "/usr/bin/prometheus"
CONFIG_SOURCE = Path(__file__).resolve().parents[3] / "monitoring" / "prometheus.yml"


class Prometheus(LabService):
    name = "prometheus"
    ready_timeout = 30.0
    apt_packages = ("prometheus",)
    needs_venv = False

    def config_dir(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name)

    def config_file(self, lab: Lab) -> Path:
        return self.config_dir(lab) / "prometheus.yml"

    def prepare(self, lab: Lab) -> None:
        if not Path(BINARY).exists():
            raise RuntimeError(f"{BINARY} is missing (apt-get install prometheus)")
        if not CONFIG_SOURCE.exists():
            raise RuntimeError(f"{CONFIG_SOURCE} is missing (the lab runs from a source checkout)")
        targets = self.config_dir(lab) / "targets"
        targets.mkdir(parents=True, exist_ok=True)
        node = targets / "node.yml"
        if not node.exists():  # no node_exporter on the rack hosts (yet): no targets
            node.write_text("[]\n")
        if not self.config_file(lab).exists() or \
                self.config_file(lab).read_bytes() != CONFIG_SOURCE.read_bytes():
            shutil.copyfile(CONFIG_SOURCE, self.config_file(lab))
        rules = self.config_dir(lab) / "alerts"  # prometheus.yml loads alerts/*.rules.yml
        rules.mkdir(exist_ok=True)
        for source in (CONFIG_SOURCE.parent / "alerts").glob("*.rules.yml"):
            if not (rules / source.name).exists() or (rules / source.name).read_bytes() != source.read_bytes():
                shutil.copyfile(source, rules / source.name)
        lab.paths.data(self.name).mkdir(parents=True, exist_ok=True)
        lab.facts["prometheus_url"] = self.url(lab)

    def argv(self, lab: Lab) -> list[str]:
        return [
            BINARY,
            f"--config.file={self.config_file(lab)}",
            f"--web.listen-address={HOST}:{PORTS[self.name]}",
            f"--storage.tsdb.path={lab.paths.data(self.name)}",
            "--storage.tsdb.retention.time=2d",
            "--web.enable-lifecycle",  # POST /-/reload after editing the copied config (loopback only)
            "--web.console.templates=/etc/prometheus/consoles",
            "--web.console.libraries=/etc/prometheus/console_libraries",
        ]

    def is_ready(self, lab: Lab) -> bool:
        try:
            with urllib.request.urlopen(self.url(lab) + "/-/ready", timeout=2) as resp:
                return resp.status == 200
        except (OSError, ValueError):
            return False

    def post_start(self, lab: Lab) -> None:
        lab.facts["prometheus_url"] = self.url(lab)
