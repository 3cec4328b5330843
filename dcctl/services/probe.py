"""Probe catalogued services now: every endpoint at once, each bounded by its service's timeout.

Standard library only (``http.client``, ``ssl``, ``socket``) so a probe costs a thread and a
socket, and the exporter can sweep a hundred services in one timeout. TLS is verified
(system trust store plus the service's ``ca_bundle`` and ``DCCTL_SERVICES_CA``); when
verification fails the certificate is still read, without trusting it, so its expiry
is reported beside the failure.
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from dcctl.services.model import EndpointResult, Service, ServiceResult

BODY_LIMIT = 256 * 1024  # expected content is looked for in the first 256 KiB
USER_AGENT = "dcctl-service-probe"
CA_ENV = "DCCTL_SERVICES_CA"


def probe_services(services: list[Service], *, extra_ca: Path | None = None,
                   max_workers: int = 64) -> list[ServiceResult]:
    """Probe every endpoint of every service concurrently; results in the order of ``services``."""
    extra_ca = extra_ca or (Path(os.environ[CA_ENV]) if os.environ.get(CA_ENV) else None)
    jobs = [(s, e) for s in services for e in s.endpoints]
    if not jobs:
        return []
    for bundle in {s.ca_bundle for s in services if s.protocol == "https"}:  # warm the contexts once,
        try:                                                                   # not in every thread
            tls_context([p for p in (bundle, extra_ca) if p is not None])
        except OSError:
            pass  # a missing CA file: each probe of it says so
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs)), thread_name_prefix="probe") as pool:
        found = list(pool.map(lambda job: probe_endpoint(job[0], job[1], extra_ca), jobs))
    now = time.time()
    by_service: dict[int, list[EndpointResult]] = {}
    for (service, _), result in zip(jobs, found):
        by_service.setdefault(id(service), []).append(result)
    return [ServiceResult(s, tuple(by_service.get(id(s), ())), now) for s in services]


def probe_endpoint(service: Service, endpoint: str, extra_ca: Path | None = None) -> EndpointResult:
    """One probe; never raises: a failure is a result with ``up=False`` and the reason."""
    start = time.monotonic()
    try:
        if service.protocol == "tcp":
            return _tcp(endpoint, service.timeout, start)
        return _http(service, endpoint, extra_ca, start)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong is the probe's finding
        return EndpointResult(endpoint, False, time.monotonic() - start, error=describe_error(exc, service.timeout))


def judge(service: Service, status: int, body: bytes) -> str:
    """Why an HTTP answer is not what the catalogue expects ("" when it is). Pure."""
    if status not in service.expect_status:
        wanted = " or ".join(map(str, service.expect_status))
        return f"HTTP {status}, expected {wanted}"
    if service.expect_contains and service.expect_contains.encode() not in body:
        return f"the answer does not contain {service.expect_contains!r}"
    return ""


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short, operator-readable reason for a failed probe. Pure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"name does not resolve ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def tls_context(ca_files: list[Path]) -> ssl.SSLContext:
    """Verifying context: the system's trust store plus the given CA files (reused while they are unchanged)."""
    stamps = tuple((str(p), _mtime(p)) for p in ca_files)
    return _context(stamps)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0  # missing: load_verify_locations says so in the probe's error


@functools.lru_cache(maxsize=64)
def _context(stamps: tuple[tuple[str, float], ...]) -> ssl.SSLContext:
    context = ssl.create_default_context()  # loading the system store takes tens of ms: done once
    for path, _ in stamps:
        context.load_verify_locations(cafile=path)
    return context


def _tcp(endpoint: str, timeout: float, start: float) -> EndpointResult:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
        return EndpointResult(endpoint, True, time.monotonic() - start)


def _http(service: Service, endpoint: str, extra_ca: Path | None, start: float) -> EndpointResult:
    parts = urlsplit(endpoint)
    deadline = start + service.timeout
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        cas = [p for p in (service.ca_bundle, extra_ca) if p is not None]
        try:
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=service.timeout,
                                               context=tls_context(cas))
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            not_after = _untrusted_not_after(parts.hostname, parts.port or 443, service.timeout)
            return EndpointResult(endpoint, False, time.monotonic() - start,
                                  error=describe_error(exc, service.timeout), cert_not_after=not_after)
        not_after = _not_after(conn.sock.getpeercert())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=service.timeout)
        not_after = None
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Connection": "close"})
        sock = conn.sock  # kept: getresponse() may drop it from conn while the body is still read
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        response = conn.getresponse()
        body = _read(response, sock, deadline)
    except Exception as exc:  # noqa: BLE001 - reported with the certificate already read
        return EndpointResult(endpoint, False, time.monotonic() - start,
                              error=describe_error(exc, service.timeout), cert_not_after=not_after)
    finally:
        conn.close()
    took = time.monotonic() - start
    reason = judge(service, response.status, body)
    return EndpointResult(endpoint, not reason, took, status=response.status, error=reason,
                          cert_not_after=not_after)


def _read(response: http.client.HTTPResponse, sock: socket.socket, deadline: float) -> bytes:
    """Up to BODY_LIMIT bytes, giving up when the service's time is over (a trickling answer)."""
    chunks, size = [], 0
    while size < BODY_LIMIT:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("body not received in time")
        sock.settimeout(left)
        chunk = response.read1(min(65536, BODY_LIMIT - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _not_after(cert: dict | None) -> float | None:
    if not cert or "notAfter" not in cert:
        return None
    return float(ssl.cert_time_to_seconds(cert["notAfter"]))


def _untrusted_not_after(host: str, port: int, timeout: float) -> float | None:
    """The expiry of a certificate we refused, read without trusting it (never used to send data)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    if not der:
        return None
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()
