"""The one place dcctl opens an OpenStack connection, and counts the HTTP calls it makes.

Call counts are what benchmarks and tests compare ("a no-op plan costs a handful
of calls"): they are stable on a noisy machine, seconds are not.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dcctl.core.errors import InputError, ServiceError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
T = TypeVar("T")


@dataclass
class CallCounter:
    """HTTP requests seen on a connection, by method."""

    by_method: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> None:
        request = response.request
        with self.lock:
            self.by_method[request.method] += 1
            self.log.append((request.method, request.url))

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def writes(self) -> int:
        return sum(n for m, n in self.by_method.items() if m in WRITE_METHODS)

    def write_calls(self) -> list[tuple[str, str]]:
        """Writes other than token requests (authenticating is a POST but changes nothing)."""
        return [(m, u) for m, u in self.log if m in WRITE_METHODS and not u.endswith("/auth/tokens")]

    def reset(self) -> None:
        with self.lock:
            self.by_method.clear()
            self.log.clear()


def connect(cloud: str | None, **overrides: Any):
    """An openstacksdk connection to ``cloud`` (clouds.yaml name) with a call counter attached.

    The counter is ``conn.dcctl_calls``. TLS is verified unless clouds.yaml says otherwise.
    """
    import openstack
    import openstack.exceptions

    if not cloud:
        raise InputError("no cloud selected", "pass --os-cloud NAME or set OS_CLOUD "
                         "(for the lab: eval \"$(dcctl lab env)\")")
    try:
        conn = openstack.connect(cloud=cloud, **overrides)
    except openstack.exceptions.ConfigException as exc:
        raise InputError(f"cloud '{cloud}' is not configured: {exc}",
                         "check clouds.yaml (OS_CLIENT_CONFIG_FILE) and --os-cloud") from None
    counter = CallCounter()
    conn.session.session.hooks["response"].append(counter)
    conn.dcctl_calls = counter
    return conn


def is_transient(exc: BaseException) -> bool:
    """Faults worth retrying: 5xx (except 501), 429, connection failures and timeouts.

    A failed version discovery too: openstacksdk makes a service's proxy on first use
    from a GET of its version document, and reports any failure of that read (a lost
    answer included) as "no endpoint data". Nothing was written; a misconfigured
    endpoint fails again on every attempt and is reported then.
    """
    import openstack.exceptions
    from keystoneauth1 import exceptions as ka

    if isinstance(exc, (ka.ConnectFailure, ka.ConnectionError, ka.ConnectTimeout, ka.RetriableConnectionFailure)):
        return True
    if isinstance(exc, ka.HttpError):
        return getattr(exc, "http_status", 0) in (429, 500, 502, 503, 504)
    if isinstance(exc, openstack.exceptions.HttpException):
        return (exc.status_code or 0) in (429, 500, 502, 503, 504)
    if isinstance(exc, openstack.exceptions.ServiceDiscoveryException):
        return True
    if isinstance(exc, openstack.exceptions.SDKException) and "timed out" in str(exc).lower():
        return True
    try:
        import requests

        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return True
    except ImportError:  # pragma: no cover
        pass
    return False


def retrying_read(call: Callable[[], T], *, attempts: int = 4, backoff: float = 0.25) -> T:
    """Run a read again on a transient fault (backing off), up to ``attempts`` times.

    Only for calls that change nothing (GETs, fetching a token): repeating them is
    always safe, and one lost answer must not end a whole plan. Writes are retried by
    the executor, which knows how to look a lost create up before repeating it.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


def service_error(exc: BaseException, what: str) -> ServiceError:
    """Wrap an SDK error into dcctl's exit-code-3 error with a readable first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ServiceError(f"{what}: {text}")


def rescoped_session(conn, *, project_id: str | None = None, system: bool = False):
    """A keystoneauth session for the same user, scoped to one project or to the system.

    Nova, Cinder and Neutron show a project's quota and usage only to a token scoped to
    that project; Keystone lists every project only to a system-scoped one. Works for
    password accounts (application credentials are bound to one project by design).
    """
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    args = conn.config.get_auth_args()
    if not args.get("password"):
        raise InputError(f"cloud '{conn.config.name}' does not use a password account",
                         "the exporter's tenant collector needs a user/password account "
                         "(application credentials cannot be rescoped to other projects)")
    base = {k: args[k] for k in ("auth_url", "username", "user_id", "password", "user_domain_name",
                                 "user_domain_id") if args.get(k)}
    scope = {"system_scope": "all"} if system else {"project_id": project_id}
    session = ks_session.Session(auth=v3.Password(**base, **scope), verify=conn.session.verify,
                                 timeout=conn.config.config.get("api_timeout") or 30)
    session.session.hooks["response"].append(conn.dcctl_calls)
    return session
