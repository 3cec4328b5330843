"""``dcctl rack``: arguments and input errors are caught before any service is called."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dcctl(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "OS_CLOUD": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "dcctl", "--inventory", str(ROOT / "inventory"), *args],
                          cwd=ROOT, capture_output=True, text=True, env=base, timeout=60)


def test_rack_or_all_is_required_and_exclusive():
    assert dcctl("rack", "health").returncode == 2
    out = dcctl("rack", "enroll", "bsr-r01", "--all")
    assert out.returncode == 2 and "not both" in out.stderr


def test_unknown_rack_is_an_input_error_listing_the_racks():
    out = dcctl("rack", "check", "bsr-r99")
    assert out.returncode == 1
    assert "error: unknown rack 'bsr-r99'" in out.stderr and "bsr-r01" in out.stderr


def test_check_without_a_known_hosts_file_says_how_to_give_one(tmp_path):
    out = dcctl("rack", "check", "--all", "--known-hosts", str(tmp_path / "none"))
    assert out.returncode == 1
    assert "known_hosts file" in out.stderr and "--known-hosts" in out.stderr


def test_enroll_without_a_cloud_is_an_input_error():
    out = dcctl("rack", "enroll", "bsr-r01", "--plan")
    assert out.returncode == 1 and "no cloud selected" in out.stderr


def test_a_bad_deploy_profile_is_reported_before_ironic_is_called(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("node: {deploy_interfase: ramdisk}\n")
    out = dcctl("rack", "enroll", "bsr-r01", "--plan", "--deploy-profile", str(profile), env={"OS_CLOUD": "x"})
    assert out.returncode == 1 and "unknown node field(s) deploy_interfase" in out.stderr
