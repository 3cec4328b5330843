"""The real ansible-inventory reads dcctl as a dynamic inventory and as a static export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible_inventory(*args: str) -> dict:
    tool = BIN / "ansible-inventory"
    if not tool.exists():
        pytest.skip("ansible-inventory is not installed in this environment (it comes with ansible-core)")
    env = dict(os.environ, DCCTL_INVENTORY=str(ROOT / "inventory"), ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
               PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    out = subprocess.run([str(tool), *args, "--list"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_ansible_inventory_runs_dcctl_as_a_dynamic_inventory_script():
    script = shutil.which("dcctl-ansible-inventory", path=str(BIN))
    assert script, "the dcctl-ansible-inventory console script is installed with the package"
    data = ansible_inventory("-i", script)
    hosts = data["_meta"]["hostvars"]
    assert hosts["bgw-cmp01"]["ansible_host"] == "127.0.10.14"
    assert "bgw-cmp01" in data["rack_bgw_a02"]["hosts"]
    assert "rack_bgw_a02" in data["hall_bgw_dc1_hall_a"]["children"]


def test_ansible_inventory_reads_the_static_export(tmp_path):
    target = tmp_path / "hosts.yml"
    out = subprocess.run([sys.executable, "-m", "dcctl", "inventory", "export", "--format", "ansible",
                          "-o", str(target)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = ansible_inventory("-i", str(target))
    assert data["_meta"]["hostvars"]["anb-cmp02"]["dcctl_rack"] == "anb-r01"
    assert sorted(data["role_storage"]["hosts"]) == ["bgw-stg01", "bgw-stg02", "bgw-stg03"]
