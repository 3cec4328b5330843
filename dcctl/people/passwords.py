"""One-time passwords for new users: made here, written to a file only the engineer can read.

The password of a new user exists in two places only: Keystone (hashed) and one
line of ``<dir>/<tenant>-<UTC time>-<pid>.csv`` (mode 0600, in a directory of mode
0700 owned by the engineer). It is written to the file *before* it is sent, so a
crash never leaves a user whose password nobody knows; the file is opened only when
the first password is issued, so a no-op import leaves no file behind. The engineer
hands each password to its person and deletes the file.

Keystone has no per-user "one-time" flag: ``password_expires_at`` is read-only, and
forcing a change at first use is the deployment-wide
``[security_compliance] change_password_upon_first_use``. dcctl therefore sets no
user option that would exempt its users (``ignore_change_password_upon_first_use``),
so a cloud with that setting makes every imported user choose a new password on first
sign-in (``docs/people.md``).
"""

from __future__ import annotations

import os
import secrets
import stat
import string
import threading
import time
from pathlib import Path

from dcctl.core.errors import InputError

_ALPHABET = string.ascii_letters + string.digits + "-_.!#%+="
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-_.!#%+=")


def generate_password(length: int = 20) -> str:
    """Random, with a lower-case letter, a capital, a digit and a symbol (common password rules)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(ch in cls for ch in candidate) for cls in _CLASSES):
            return candidate


def default_password_dir() -> Path:
    from dcctl.core.records import state_dir

    return state_dir() / "passwords"


def check_password_dir(directory: Path) -> Path:
    """Create the directory (0700) or check an existing one is the engineer's alone; before any API call."""
    directory = Path(directory).expanduser().absolute()
    inside = next((p for p in [directory, *directory.parents] if (p / ".git").exists()), None)
    if inside is not None:
        raise InputError(f"password directory {directory} is inside the repository {inside}",
                         "choose a directory outside any repository (the default is dcctl's state directory)")
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)
        directory.chmod(0o700)  # whatever the umask
        return directory
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(f"password directory {directory} is not a directory", "give a directory with --password-dir")
    if info.st_uid != os.getuid():
        raise InputError(f"password directory {directory} belongs to another user",
                         "choose a directory of your own with --password-dir")
    if info.st_mode & 0o077:
        raise InputError(f"password directory {directory} can be read by others (mode {stat.S_IMODE(info.st_mode):o})",
                         f"run `chmod 700 {directory}`, or choose another directory with --password-dir")
    return directory


class PasswordFile:
    """The one-time passwords of one import run: ``username,one_time_password`` lines."""

    def __init__(self, directory: Path, tenant: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.path = Path(directory) / f"{tenant}-{stamp}-{os.getpid()}.csv"
        self._issued: dict[str, str] = {}
        self._must_change: set[str] = set()
        self._fd: int | None = None
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return len(self._issued)

    @property
    def must_change(self) -> int:
        """How many issued passwords Keystone will make their person change at first sign-in."""
        return len(self._must_change)

    def created(self, user: dict) -> None:
        """Note what Keystone answered for a new user: an already-expired password must be changed.

        Keystone expires an administrator-set password at once when the cloud sets
        ``change_password_upon_first_use``; that is the only sign of it the API gives.
        """
        if user.get("password_expires_at"):
            with self._lock:
                self._must_change.add(user["name"])

    def issue(self, username: str) -> str:
        """The user's password, written to the file the first time; the same one on a retry."""
        with self._lock:
            if username in self._issued:
                return self._issued[username]
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.fchmod(self._fd, 0o600)
                os.write(self._fd, b"username,one_time_password\n")
            password = generate_password()
            os.write(self._fd, f"{username},{password}\n".encode())
            self._issued[username] = password
            return password

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_password_file(path: Path) -> dict[str, str]:
    """``username -> password`` from a file ``PasswordFile`` wrote (for the engineer's own tooling and tests)."""
    lines = Path(path).read_text().splitlines()[1:]
    return dict(line.split(",", 1) for line in lines if line)
