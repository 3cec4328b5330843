"""Which hosts a --limit selects, and the inventory ansible-runner is given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dcctl.core.errors import InputError
from dcctl.inventory import load_inventory
from dcctl.inventory.export import ansible_inventory
from dcctl.playbooks.targets import SshTrust, play_hosts, resolve_limit, runner_inventory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inv():
    inventory, _problems = load_inventory(ROOT / "inventory")
    return inventory


@pytest.fixture(scope="module")
def listing(inv):
    return ansible_inventory(inv)


def test_no_limit_means_every_host(inv, listing):
    assert resolve_limit(None, inv, listing) is None


def test_rack_site_role_and_host_limits_select_their_servers(inv, listing):
    rack = resolve_limit("rack:bgw-a01", inv, listing)
    assert rack.pattern == "rack_bgw_a01"
    assert rack.hosts == ("bgw-ctl01", "bgw-ctl02", "bgw-ctl03")  # not the rack's switch or PDUs
    site = resolve_limit("site:bsr-edge1", inv, listing)
    assert site.hosts == ("bsr-cmp01", "bsr-cmp02")
    role = resolve_limit("role:storage", inv, listing)
    assert role.hosts == ("bgw-stg01", "bgw-stg02", "bgw-stg03")
    host = resolve_limit("anb-cmp01", inv, listing)
    assert (host.pattern, host.hosts) == ("anb-cmp01", ("anb-cmp01",))


def test_comma_separated_items_add_up(inv, listing):
    limit = resolve_limit("rack:bsr-r01, bgw-ctl01", inv, listing)
    assert limit.pattern == "rack_bsr_r01,bgw-ctl01"
    assert limit.hosts == ("bgw-ctl01", "bsr-cmp01", "bsr-cmp02")


@pytest.mark.parametrize("spec, message, hint", [
    ("", "empty --limit", "rack:RACK"),
    ("  ", "empty --limit", "rack:RACK"),
    ("rack:bgw-a01,", "empty --limit", "rack:RACK"),
    ("hall:hall-a", "unknown kind 'hall'", "rack:RACK"),
    ("rack:bgw-a9", "no rack 'bgw-a9'", "did you mean"),
    ("site:nowhere", "no site 'nowhere'", "sites: anb-edge1, bgw-dc1"),
    ("role:database", "no role 'database'", "roles:"),
    ("bgw-ctl99", "no host 'bgw-ctl99'", "did you mean 'bgw-ctl0"),
    ("bgw-a01-tor1", "(switch) has no SSH endpoint", "servers"),
    ("role:switch", "role 'switch' has no server with an SSH endpoint", "not on switches"),
])
def test_bad_limits_are_refused_with_what_to_type(inv, listing, spec, message, hint):
    with pytest.raises(InputError) as err:
        resolve_limit(spec, inv, listing)
    assert message in str(err.value)
    assert hint in err.value.hint


def test_plays_hosts_are_evaluated_when_they_are_plain_names(listing):
    assert play_hosts(listing, ("all",)) == set(listing["_meta"]["hostvars"])
    assert play_hosts(listing, ("role_storage",)) == {"bgw-stg01", "bgw-stg02", "bgw-stg03"}
    assert play_hosts(listing, ("rack_bsr_r01", "bgw-ctl01")) == {"bsr-cmp01", "bsr-cmp02", "bgw-ctl01"}
    assert play_hosts(listing, ("role_database",)) == set()
    assert play_hosts(listing, ("role_compute:&site_bgw_dc1",)) is None  # Ansible decides


def test_host_keys_are_always_checked_and_never_learnt():
    default = SshTrust().common_args()
    assert "StrictHostKeyChecking=yes" in default and "BatchMode=yes" in default
    assert "UserKnownHostsFile" not in default  # OpenSSH's own files
    lab = SshTrust(known_hosts=Path("/lab/known_hosts"), key=Path("/lab/id")).common_args()
    assert "-o UserKnownHostsFile=/lab/known_hosts" in lab
    assert "-o GlobalKnownHostsFile=/dev/null" in lab and "IdentitiesOnly=yes" in lab


def test_connections_are_shared_only_between_runs_trusting_the_same_keys(tmp_path):
    a = SshTrust(known_hosts=Path("/a/known_hosts"))
    b = SshTrust(known_hosts=Path("/b/known_hosts"))
    assert a.control_path_dir(tmp_path) == SshTrust(known_hosts=Path("/a/known_hosts")).control_path_dir(tmp_path)
    assert a.control_path_dir(tmp_path) != b.control_path_dir(tmp_path)
    # a ControlPath socket must fit in sun_path (108 bytes) with its 40-character hash
    assert len(str(a.control_path_dir(Path("/root")))) + 41 < 108


def test_missing_trust_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="known_hosts file .* does not exist"):
        SshTrust(known_hosts=tmp_path / "nope").check()


def test_ansible_reads_the_runner_inventory_with_groups_host_vars_and_ssh_settings(inv, tmp_path):
    trust = SshTrust(known_hosts=tmp_path / "known_hosts", key=tmp_path / "id_ed25519")
    path = tmp_path / "hosts.json"
    path.write_text(json.dumps(runner_inventory(inv, trust)))
    out = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
                         capture_output=True, text=True, check=True, cwd=tmp_path)
    seen = json.loads(out.stdout)
    hostvars = seen["_meta"]["hostvars"]
    assert set(hostvars) == set(ansible_inventory(inv)["_meta"]["hostvars"])
    ctl = hostvars["bgw-ctl01"]
    assert ctl["ntp_servers"] == ["ntp1.dc.gov.iq", "ntp2.dc.gov.iq"]
    assert (ctl["ansible_host"], ctl["ansible_port"], ctl["dcctl_rack"]) == ("127.0.10.11", 2222, "bgw-a01")
    assert ctl["ansible_ssh_private_key_file"] == str(tmp_path / "id_ed25519")
    assert f"UserKnownHostsFile={tmp_path / 'known_hosts'}" in ctl["ansible_ssh_common_args"]
    assert set(seen["role_compute"]["hosts"]) >= {"bgw-cmp01", "bsr-cmp01", "anb-cmp01"}
    assert "rack_bgw_a01" in seen["hall_bgw_dc1_hall_a"]["children"]
