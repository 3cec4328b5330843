"""The citizen e-services of the sample catalogue, served on loopback so probes find them up.

One small process (standard library only: ``http.server`` threads, ``ssl``) listens on
every loopback endpoint the sample catalogue in ``tenants/*.yaml`` names
(``https://127.0.30.N:8443/...``, ``http://...:8080/...``, ``tcp://...:7001``) and answers
each catalogued path with the first status the catalogue expects and a page holding the
expected text. Endpoints that are not loopback addresses are never served. TLS: one
certificate from the lab CA (``dcctl.lab.tls``) for every address; probes trust it
through ``DCCTL_SERVICES_CA``, which ``dcctl lab env`` exports.

Facts published: ``eservices_env`` (``DCCTL_SERVICES_CA``).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from dcctl.lab.service import Lab, LabService

TENANTS = Path(__file__).resolve().parents[3] / "tenants"


def listeners(catalogue) -> list[dict]:
    """What to serve for a list of ``dcctl.services.model.Service``: one entry per (host, port).

    Pure. Each entry: ``{"host", "port", "scheme", "routes": {path: {"status", "body"}}}``.
    """
    found: dict[tuple[str, int], dict] = {}
    for service in catalogue:
        for endpoint in service.endpoints:
            parts = urlsplit(endpoint)
            try:
                if not ipaddress.ip_address(parts.hostname).is_loopback:
                    continue
            except ValueError:
                continue  # a DNS name: not ours to serve
            scheme = parts.scheme
            port = parts.port or {"https": 443, "http": 80}.get(scheme)
            entry = found.setdefault((parts.hostname, port), {"host": parts.hostname, "port": port,
                                                              "scheme": scheme, "routes": {}})
            if scheme != "tcp":
                text = service.expect_contains or service.name_en
                entry["routes"][parts.path or "/"] = {
                    "status": service.expect_status[0],
                    "body": f"<!doctype html><title>{service.name_en}</title>\n<h1>{service.name_en}</h1>\n"
                            f"<p lang=\"ar\">{service.name_ar}</p>\n<p>{text}</p>\n"}
    return [found[key] for key in sorted(found)]


class EServices(LabService):
    name = "eservices"
    ready_timeout = 20.0
    needs_venv = False  # standard library only, run by dcctl's own interpreter

    def etc(self, lab: Lab) -> Path:
        return lab.paths.etc(self.name)

    def tls_dir(self, lab: Lab) -> Path:
        return lab.paths.root / "tls"

    def url(self, lab: Lab) -> str:
        first = next(iter(self.config(lab)), None)
        return f"{first['scheme']}://{first['host']}:{first['port']}/" if first else ""

    def prepare(self, lab: Lab) -> None:
        from dcctl.lab import tls
        from dcctl.services import load_catalogue

        services, _problems = load_catalogue(TENANTS)  # a broken request is `tenant validate`'s to report
        found = listeners(services)
        ca = tls.ensure_ca(self.tls_dir(lab))
        ips = sorted({e["host"] for e in found if e["scheme"] == "https"}) or ["127.0.30.1"]
        cert = tls.issue_server_cert(ca, self.tls_dir(lab), "eservices", ips=ips)
        self.etc(lab).mkdir(parents=True, exist_ok=True)
        (self.etc(lab) / "listeners.json").write_text(json.dumps(
            {"cert": str(cert.cert), "key": str(cert.key), "listeners": found}, indent=1, ensure_ascii=False))
        lab.facts["eservices_env"] = {"DCCTL_SERVICES_CA": str(ca.cert)}

    def config(self, lab: Lab) -> list[dict]:
        """The listeners ``prepare`` wrote."""
        path = self.etc(lab) / "listeners.json"
        return json.loads(path.read_text())["listeners"] if path.exists() else []

    def argv(self, lab: Lab) -> list[str]:
        return [sys.executable, "-m", "dcctl.lab.services.eservices", str(self.etc(lab) / "listeners.json")]

    def is_ready(self, lab: Lab) -> bool:
        for entry in self.config(lab):
            try:
                socket.create_connection((entry["host"], entry["port"]), timeout=1).close()
            except OSError:
                return False
        return True

    def post_start(self, lab: Lab) -> None:
        lab.facts["eservices_env"] = {"DCCTL_SERVICES_CA": str(self.tls_dir(lab) / "ca.pem")}


def serve(config_file: str) -> None:
    """Run every listener of ``config_file`` until the process is stopped."""
    import socketserver
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    config = json.loads(Path(config_file).read_text())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])

    def handler_for(routes: dict):
        class Handler(BaseHTTPRequestHandler):
            server_version = "dcctl-lab-eservices"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                route = routes.get(urlsplit(self.path).path)
                status, body = (route["status"], route["body"]) if route else (404, "not found\n")
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args) -> None:
                pass  # probes every few seconds: keep the log for errors

        return Handler

    class Accept(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(b"dcctl-lab-eservices\r\n")

    servers = []
    for entry in config["listeners"]:
        address = (entry["host"], entry["port"])
        if entry["scheme"] == "tcp":
            server = socketserver.ThreadingTCPServer(address, Accept)
        else:
            server = ThreadingHTTPServer(address, handler_for(entry["routes"]))
            if entry["scheme"] == "https":
                # the handshake runs in the request's thread, so an idle client never blocks accept()
                server.socket = context.wrap_socket(server.socket, server_side=True,
                                                    do_handshake_on_connect=False)
        server.daemon_threads = True
        servers.append(server)
        print(f"serving {entry['scheme']}://{entry['host']}:{entry['port']} "
              f"({len(entry['routes'])} path(s))", flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    serve(sys.argv[1])
