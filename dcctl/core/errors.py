"""Errors that end a command, each carrying the exit code the README documents.

0 ok, 1 validation or plan errors, 2 usage (click's own), 3 a service failed,
130 interrupted by Ctrl-C (128 + SIGINT, as shells report it).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_INTERRUPTED = 130


class DcctlError(Exception):
    """A failure the user can act on; its message is shown without a traceback."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class InputError(DcctlError):
    """The user's files or arguments are wrong; nothing was changed."""

    exit_code = EXIT_INVALID


class ServiceError(DcctlError):
    """A service (OpenStack, a BMC, a host, Prometheus, the lab) failed or did not answer."""

    exit_code = EXIT_SERVICE
