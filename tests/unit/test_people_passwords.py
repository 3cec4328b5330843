"""One-time passwords: strong, written once to an owner-only file, and only where nobody else reads."""

from __future__ import annotations

import os
import stat

import pytest

from dcctl.core.errors import InputError
from dcctl.people.passwords import PasswordFile, check_password_dir, generate_password, read_password_file


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_password_has_every_character_class_and_is_never_repeated():
    made = {generate_password() for _ in range(200)}
    assert len(made) == 200
    for pw in list(made)[:20]:
        assert len(pw) == 20 and any(c.islower() for c in pw) and any(c.isupper() for c in pw)
        assert any(c.isdigit() for c in pw) and any(not c.isalnum() for c in pw)


def test_the_directory_is_created_0700_and_the_file_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        directory = check_password_dir(tmp_path / "secrets" / "people")
        passwords = PasswordFile(directory, "cbi")
        first = passwords.issue("zainab")
        assert passwords.issue("zainab") == first  # a retried create sends the same one
        passwords.issue("noor")
        passwords.close()
    finally:
        os.umask(old)
    assert mode(directory) == 0o700 and mode(passwords.path) == 0o600
    assert read_password_file(passwords.path) == {"zainab": first, "noor": passwords._issued["noor"]}
    assert passwords.count == 2


def test_no_password_no_file(tmp_path):
    passwords = PasswordFile(check_password_dir(tmp_path / "p"), "cbi")
    passwords.close()
    assert not passwords.path.exists() and list((tmp_path / "p").iterdir()) == []


def test_a_directory_others_can_read_or_inside_a_repository_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(InputError, match="can be read by others") as info:
        check_password_dir(shared)
    assert "chmod 700" in info.value.hint
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(InputError, match="inside the repository"):
        check_password_dir(repo / "passwords")
    assert not (repo / "passwords").exists()


def test_a_password_keystone_already_expired_counts_as_one_the_person_must_change(tmp_path):
    """Keystone's only sign of change_password_upon_first_use is an expiry set at creation."""
    passwords = PasswordFile(tmp_path, "health")
    for name in ("a.one", "b.two"):
        passwords.issue(name)
    passwords.created({"name": "a.one", "password_expires_at": "2026-11-26T02:16:37.366865"})
    passwords.created({"name": "b.two", "password_expires_at": None})
    passwords.close()
    assert (passwords.count, passwords.must_change) == (2, 1)
