"""BMC credentials, resolved from the inventory's reference only when a service needs them.

The inventory never holds a secret, only where to find it:

* ``env:NAME``  reads ``NAME_USERNAME`` and ``NAME_PASSWORD`` from the environment;
* ``file:ENTRY`` reads entry ``ENTRY`` of the credentials file, a YAML mapping kept outside
  the repository (``$DCCTL_CREDENTIALS_FILE``, default ``~/.config/dcctl/credentials.yaml``,
  readable by its owner only)::

      baghdad-bmc: {username: admin, password: "..."}

The password travels as a :class:`Secret`, whose ``str``/``repr`` never show it, so a
stray log line or a plan printed as JSON cannot leak it.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CREDENTIALS_FILE_ENV = "DCCTL_CREDENTIALS_FILE"
DEFAULT_CREDENTIALS_FILE = Path("~/.config/dcctl/credentials.yaml")


class Secret:
    """A string that prints as ``***``; ``reveal()`` gives the value to the one call that needs it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class BmcCredentials:
    username: str
    password: Secret


class CredentialError(Exception):
    """A reference that does not resolve; the message says what to set, never a secret."""


def resolve_credentials(reference: str, environ: Mapping[str, str] | None = None) -> BmcCredentials:
    """The username and password a reference (``env:NAME`` / ``file:ENTRY``) points at."""
    environ = os.environ if environ is None else environ
    kind, _, name = reference.partition(":")
    if kind == "env" and name:
        user_var, pass_var = f"{name}_USERNAME", f"{name}_PASSWORD"
        missing = [v for v in (user_var, pass_var) if not environ.get(v)]
        if missing:
            raise CredentialError(f"BMC credentials {reference}: {' and '.join(missing)} "
                                  f"{'is' if len(missing) == 1 else 'are'} not set")
        return BmcCredentials(environ[user_var], Secret(environ[pass_var]))
    if kind == "file" and name:
        return _from_file(reference, name, environ)
    raise CredentialError(f"BMC credentials {reference!r}: not a reference (want env:NAME or file:ENTRY)")


def credentials_file(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(CREDENTIALS_FILE_ENV) or DEFAULT_CREDENTIALS_FILE).expanduser()


def _from_file(reference: str, entry: str, environ: Mapping[str, str]) -> BmcCredentials:
    import yaml

    path = credentials_file(environ)
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise CredentialError(f"BMC credentials {reference}: cannot read {path}: {exc.strerror} "
                              f"(set {CREDENTIALS_FILE_ENV} to the credentials file)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(f"BMC credentials {reference}: {path} is readable by others "
                              f"(chmod 600 {path})")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise CredentialError(f"BMC credentials {reference}: {path} is not valid YAML") from None
    item = data.get(entry) if isinstance(data, dict) else None
    if not isinstance(item, dict) or not item.get("username") or not item.get("password"):
        raise CredentialError(f"BMC credentials {reference}: {path} has no entry '{entry}' "
                              f"with a username and a password")
    return BmcCredentials(str(item["username"]), Secret(str(item["password"])))


class CredentialCache:
    """Resolve each reference once per command (many servers of a site share one)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._cache: dict[str, BmcCredentials | CredentialError] = {}

    def get(self, reference: str) -> BmcCredentials:
        if reference not in self._cache:
            try:
                self._cache[reference] = resolve_credentials(reference, self._environ)
            except CredentialError as exc:
                self._cache[reference] = exc
        value = self._cache[reference]
        if isinstance(value, CredentialError):
            raise CredentialError(str(value))
        return value

    def secrets(self) -> list[str]:
        """Every password resolved so far: what must never appear in output."""
        return [v.password.reveal() for v in self._cache.values() if isinstance(v, BmcCredentials)]


class RedactSecrets(logging.Filter):
    """Replaces every resolved password in a log record by ``***`` (client libraries log request
    bodies at debug level, and a node create's body holds the BMC password)."""

    def __init__(self, cache: CredentialCache) -> None:
        super().__init__()
        self.cache = cache

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [s for s in self.cache.secrets() if s]
        if secrets:
            text = record.getMessage()
            if any(s in text for s in secrets):
                for s in secrets:
                    text = text.replace(s, "***")
                record.msg, record.args = text, ()
        return True


@contextmanager
def redacted_logging(cache: CredentialCache) -> Iterator[None]:
    """While inside, no log handler of the process writes a password ``cache`` resolved."""
    handlers = [h for logger in [logging.getLogger(), *_named_loggers()] for h in logger.handlers]
    redact = RedactSecrets(cache)
    for handler in handlers:
        handler.addFilter(redact)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(redact)


def _named_loggers() -> list[logging.Logger]:
    return [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
