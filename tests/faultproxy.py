"""A fault-injecting HTTP proxy for tests, on loopback, in front of one upstream service.

A share of the requests fails, chosen by a seeded random generator so a run can be
replayed: ``503`` (a 503 answer, the request never reaches the service), ``drop``
(the connection is closed without an answer, before the request is forwarded),
``delay`` (the answer is held back longer than the client's timeout; the request
was forwarded, as when a slow service does the work but the client gives up).

``clouds_yaml`` writes a clouds.yaml entry whose auth URL and service endpoints
point at proxies, so every call of openstacksdk goes through them.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length"}


@dataclass
class FaultPlan:
    share: float = 0.0  # fraction of requests that fail
    kinds: tuple[str, ...] = ("503", "drop", "delay")
    delay: float = 5.0  # seconds a "delay" answer is held back
    seed: int = 7
    only_methods: tuple[str, ...] = ()  # e.g. ("POST", "PUT") to fail writes only; empty: all
    counts: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(default=None, repr=False)  # type: ignore[assignment]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pick(self, method: str) -> str | None:
        with self._lock:
            if self._rng is None:
                self._rng = random.Random(self.seed)
            self.counts["requests"] = self.counts.get("requests", 0) + 1
            if self.only_methods and method not in self.only_methods:
                return None
            if self._rng.random() >= self.share:
                return None
            kind = self._rng.choice(self.kinds)
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind


class FaultProxy:
    def __init__(self, upstream: str, plan: FaultPlan, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = urlsplit(upstream)
        self.plan = plan
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy.plan.pick(self.command)
                if fault == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if fault == "503":
                    payload = b'{"error": "injected 503 by faultproxy"}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                status, headers, payload = proxy.forward(self.command, self.path, self.headers, body)
                if fault == "delay":
                    time.sleep(proxy.plan.delay)
                try:
                    self.send_response(status)
                    for key, value in headers:
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, proxy.rewrite(value) if key.lower() == "location" else value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(self, method: str, path: str, headers, body: bytes | None):
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
            conn.request(method, path, body=body, headers=forwarded)
            response = conn.getresponse()
            payload = response.read()
            # version documents and links name the upstream: point them back at the proxy
            payload = payload.replace(self._upstream_root().encode(), self.url.encode())
            return response.status, response.getheaders(), payload
        finally:
            conn.close()

    def _upstream_root(self) -> str:
        return f"{self.upstream.scheme}://{self.upstream.netloc}"

    def rewrite(self, value: str) -> str:
        return value.replace(self._upstream_root(), self.url)

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def clouds_yaml(base: dict, proxies: dict[str, FaultProxy], name: str = "dcctl-lab-faulty") -> dict:
    """A clouds.yaml ``clouds`` entry like ``base`` whose calls all go through ``proxies``.

    ``proxies`` maps "identity", "network", "compute", "volume" to a proxy of that service;
    keys absent are not proxied. The service paths of the real catalog are kept.
    """
    cloud = {**base, "auth": dict(base["auth"])}
    if "identity" in proxies:
        cloud["auth"]["auth_url"] = proxies["identity"].url + urlsplit(base["auth"]["auth_url"]).path
    suffix = {"network": "/v2.0", "compute": "/v2.1", "volume": "/v3/"}  # Cinder takes project-less URLs
    for service, proxy in proxies.items():
        if service != "identity":
            cloud[f"{'block_storage' if service == 'volume' else service}_endpoint_override"] = \
                proxy.url + suffix[service]
    return {name: cloud}
