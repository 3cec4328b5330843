"""Build the exporter from options and serve it over HTTP until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
from functools import partial
from pathlib import Path

from dcctl.monitoring.exporter import CollectorSpec, Exporter

DEFAULT_INTERVALS = {"inventory": 60.0, "openstack_api": 30.0, "baremetal": 30.0, "hardware": 60.0, "playbooks": 30.0,
                     "tenants": 120.0}
DEFAULT_INTERVALS["services"] = 30.0  # probes of the e-service catalogue (each bounded by its timeout)


def build_exporter(inventory_dir: Path, cloud: str | None, intervals: dict[str, float],
                   tenants_dir: Path | None = None) -> Exporter:
    """The collectors this exporter runs; a source with no configuration is left out."""
    from dcctl.monitoring.collectors.baremetal import collect_baremetal
    from dcctl.monitoring.collectors.hardware import collect_hardware
    from dcctl.monitoring.collectors.inventory import collect_inventory
    from dcctl.monitoring.collectors.playbooks import collect_playbooks
    from dcctl.monitoring.collectors.openstack_api import collect_api_health

    specs = [CollectorSpec("inventory", intervals.get("inventory", DEFAULT_INTERVALS["inventory"]),
                           partial(collect_inventory, inventory_dir)),
             CollectorSpec("hardware", intervals.get("hardware", DEFAULT_INTERVALS["hardware"]),
                           partial(collect_hardware, inventory_dir)),
             CollectorSpec("playbooks", intervals.get("playbooks", DEFAULT_INTERVALS["playbooks"]),
                           collect_playbooks)]
    if cloud:
        specs.append(CollectorSpec("openstack_api", intervals.get("openstack_api", DEFAULT_INTERVALS["openstack_api"]),
                                   partial(collect_api_health, cloud)))
        specs.append(CollectorSpec("baremetal", intervals.get("baremetal", DEFAULT_INTERVALS["baremetal"]),
                                   partial(collect_baremetal, cloud, inventory_dir)))
        if tenants_dir is not None and Path(tenants_dir).is_dir():
            from dcctl.monitoring.collectors.tenants import TenantCollector

            specs.append(CollectorSpec("tenants", intervals.get("tenants", DEFAULT_INTERVALS["tenants"]),
                                       TenantCollector(cloud, Path(tenants_dir))))
    if tenants_dir is not None and Path(tenants_dir).is_dir():  # the e-service catalogue: no cloud needed
        from dcctl.monitoring.collectors.services import collect_services

        specs.append(CollectorSpec("services", intervals.get("services", DEFAULT_INTERVALS["services"]),
                                   partial(collect_services, Path(tenants_dir))))
    return Exporter(specs)


def start_server(exporter: Exporter, host: str, port: int):
    """An HTTP server (own thread) answering ``/metrics`` with the exporter's cached text."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            if self.path.split("?")[0] not in ("/metrics", "/"):
                self.send_error(404, "try /metrics")
                return
            gzipped = "gzip" in self.headers.get("Accept-Encoding", "")
            body = exporter.exposition(gzipped=gzipped)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # scrapes every few seconds: not worth a log line
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="exporter-http", daemon=True)
    thread.start()
    return server, thread


def serve(exporter: Exporter, host: str, port: int, ready: threading.Event | None = None) -> None:
    """Serve /metrics until SIGTERM/SIGINT; collectors keep running in the background."""
    exporter.start()
    server, _thread = start_server(exporter, host, port)
    logging.getLogger("dcctl.exporter").info("serving metrics on http://%s:%d/metrics (pid %d)", host, port,
                                             os.getpid())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if ready:
        ready.set()
    stop.wait()
    server.shutdown()
    exporter.stop()
