"""BMC credential references and deploy profiles: resolved outside the repository, secrets never shown."""

from __future__ import annotations

import os

import pytest

from dcctl.core.errors import InputError
from dcctl.racks.credentials import CredentialCache, CredentialError, Secret, resolve_credentials
from dcctl.racks.deploy_profile import load_deploy_profile


def test_env_reference_reads_username_and_password():
    creds = resolve_credentials("env:DCCTL_BMC_X", {"DCCTL_BMC_X_USERNAME": "admin", "DCCTL_BMC_X_PASSWORD": "pw"})
    assert creds.username == "admin" and creds.password.reveal() == "pw"
    assert "pw" not in repr(creds) and str(creds.password) == "***"


def test_missing_env_variables_are_named():
    with pytest.raises(CredentialError, match="DCCTL_BMC_X_PASSWORD is not set"):
        resolve_credentials("env:DCCTL_BMC_X", {"DCCTL_BMC_X_USERNAME": "admin"})


def test_file_reference_reads_an_entry_of_a_private_file(tmp_path):
    path = tmp_path / "credentials.yaml"
    path.write_text("site-a: {username: admin, password: 'p:w'}\n")
    os.chmod(path, 0o600)
    env = {"DCCTL_CREDENTIALS_FILE": str(path)}
    assert resolve_credentials("file:site-a", env).password.reveal() == "p:w"
    with pytest.raises(CredentialError, match="has no entry 'site-b'"):
        resolve_credentials("file:site-b", env)
    os.chmod(path, 0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        resolve_credentials("file:site-a", env)
    with pytest.raises(CredentialError, match="cannot read"):
        resolve_credentials("file:site-a", {"DCCTL_CREDENTIALS_FILE": str(tmp_path / "none.yaml")})


def test_cache_resolves_each_reference_once_and_lists_secrets():
    env = {"A_USERNAME": "u", "A_PASSWORD": "p1"}
    cache = CredentialCache(env)
    assert cache.get("env:A") is cache.get("env:A")
    with pytest.raises(CredentialError):
        cache.get("env:B")
    assert cache.secrets() == ["p1"]
    assert Secret("x") == Secret("x") and repr(Secret("x")) == "Secret('***')"


def test_deploy_profile_is_checked(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("node: {boot_interface: pxe}\ninstance_info: {kernel: file:///k}\n"
                    "resource_classes: {compute: gold}\n")
    profile = load_deploy_profile(good)
    assert profile.node == {"boot_interface": "pxe"} and profile.resource_class("compute") == "gold"
    assert profile.resource_class("storage") == "baremetal-storage"
    typo = tmp_path / "typo.yaml"
    typo.write_text("node: {boot_interfce: pxe}\n")
    with pytest.raises(InputError, match="unknown node field"):
        load_deploy_profile(typo)
    secret = tmp_path / "secret.yaml"
    secret.write_text("driver_info: {redfish_password: x}\n")
    with pytest.raises(InputError, match="come.* from the inventory"):
        load_deploy_profile(secret)
    with pytest.raises(InputError, match="No such file"):
        load_deploy_profile(tmp_path / "missing.yaml")


def test_no_profile_is_the_empty_profile(monkeypatch):
    monkeypatch.delenv("DCCTL_DEPLOY_PROFILE", raising=False)
    profile = load_deploy_profile(None)
    assert profile.node == {} and profile.instance_info == {}
