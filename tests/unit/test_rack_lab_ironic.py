"""The lab's Ironic launcher: Ironic's Redfish session key hashed once per BMC password, not per call."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from dcctl.lab.paths import LabPaths
from dcctl.lab.service import Lab
from dcctl.lab.services.ironic import LAUNCHER, Ironic


def launcher():
    spec = importlib.util.spec_from_file_location("dcctl_ironic_under_test", LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no Ironic until main() runs
    return module


def test_the_remembered_pbkdf2_gives_what_hashlib_gives_and_hashes_each_password_once(monkeypatch):
    calls = []
    real = hashlib.pbkdf2_hmac

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    remembering = launcher()._RememberingHashlib()
    salt = ("https://127.0.20.11:28443" * 4).encode()
    first = remembering.pbkdf2_hmac("sha512", b"pa55", salt, 1000)
    assert first == real("sha512", b"pa55", salt, 1000)
    assert remembering.pbkdf2_hmac("sha512", b"pa55", salt, 1000) == first
    assert len(calls) == 1
    changed = remembering.pbkdf2_hmac("sha512", b"new-pa55", salt, 1000)  # a new password: a new key
    assert changed != first and len(calls) == 2
    assert remembering.sha256 is hashlib.sha256  # everything else is hashlib's own


def test_the_lab_runs_ironic_through_the_launcher_with_the_lab_venv(tmp_path):
    lab = Lab(paths=LabPaths(root=tmp_path / "lab", venv=tmp_path / "venv"))
    argv = Ironic().argv(lab)
    assert argv[:2] == [str(tmp_path / "venv" / "bin" / "python"), str(LAUNCHER)]
    assert argv[2:] == ["--config-file", str(tmp_path / "lab" / "etc" / "ironic" / "ironic.conf")]
    assert Path(LAUNCHER).is_file()
