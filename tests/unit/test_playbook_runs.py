"""The playbook catalog, run records and the command's refusals before Ansible starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dcctl.core.errors import InputError
from dcctl.playbooks import runs
from dcctl.playbooks.catalog import find_playbook, list_playbooks
from dcctl.playbooks.recap import RunRecap, TaskOutcome

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"


def test_every_playbook_says_what_it_does_and_which_hosts_it_targets():
    books = {b.name: b for b in list_playbooks(PLAYBOOKS)}
    assert {"site", "controllers", "computes", "storage"} <= set(books)
    assert books["site"].hosts == ("all",)
    assert books["computes"].hosts == ("role_compute",)
    assert all(b.description and not b.description.startswith("-") for b in books.values())


def test_a_playbook_is_found_by_name_or_file_name_and_nothing_else():
    assert find_playbook(PLAYBOOKS, "site").path == PLAYBOOKS / "site.yml"
    assert find_playbook(PLAYBOOKS, "site.yml").name == "site"
    with pytest.raises(InputError) as err:
        find_playbook(PLAYBOOKS, "stie")
    assert "unknown playbook 'stie'" in str(err.value) and "did you mean 'site'" in err.value.hint
    with pytest.raises(InputError):
        find_playbook(PLAYBOOKS, "../playbooks/site")


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DCCTL_STATE_URL", raising=False)
    from dcctl.core import records

    records._STORES.clear()  # one audit store per state URL and process
    yield tmp_path
    records._STORES.clear()


def summary(run_id: str, playbook: str = "site", check: bool = False, failed: bool = False) -> runs.RunSummary:
    recap = RunRecap()
    recap.add({"event": "runner_on_ok", "event_data": {"host": "a", "task": "t", "res": {"changed": True}}})
    if failed:
        recap.add({"event": "runner_on_unreachable", "event_data": {
            "host": "b", "task": "Gathering Facts", "res": {"msg": "Connection refused"}}})
    recap.add({"event": "playbook_on_stats", "event_data": {
        "ok": {"a": 3}, "changed": {"a": 1}, "dark": {"b": 1} if failed else {}}})
    return runs.RunSummary(run_id=run_id, playbook=playbook, limit="rack:r1", user="eng", start="2026-11-25T10:00:00+0000",
                           duration=12.5, check=check, rc=4 if failed else 0, recap=recap)


def test_a_saved_run_reads_back_with_its_recap_and_failures(state):
    runs.save(summary("20261125T100000-site-aaaa", failed=True))
    back = runs.load("20261125T100000-site-aaaa")
    assert back.status == "failed" and back.recap.bad_hosts == ["b"]
    assert back.recap.failures == [TaskOutcome("b", "Gathering Facts", "unreachable", "Connection refused")]
    assert runs.load("last").run_id == "20261125T100000-site-aaaa"
    with pytest.raises(InputError) as err:
        runs.load("nope")
    assert "recent runs: 20261125T100000-site-aaaa" in err.value.hint


def test_the_exporter_sees_the_newest_real_run_of_each_playbook(state):
    runs.save(summary("20261125T100000-site-aaaa", failed=True))
    runs.save(summary("20261125T110000-site-bbbb"))
    runs.save(summary("20261125T120000-site-cccc", check=True))  # a dry run changes nothing
    runs.save(summary("20261125T090000-storage-dddd", playbook="storage"))
    latest = runs.latest_by_playbook()
    assert {k: v.run_id for k, v in latest.items()} == {
        "site": "20261125T110000-site-bbbb", "storage": "20261125T090000-storage-dddd"}
    assert latest["site"].status == "changed" and latest["site"].duration == 12.5


def test_each_run_is_an_audit_record_with_per_host_results(state):
    from dcctl.core.records import read

    runs.record_run(summary("20261125T100000-site-aaaa", failed=True))
    (entry,) = list(read(kind="playbook"))
    details = entry.get("after") or entry.get("details")
    assert entry["target"] == "site" and entry["action"] == "run" and entry["result"] == "failed"
    assert details["run_id"] == "20261125T100000-site-aaaa" and details["limit"] == "rack:r1"
    assert details["hosts"]["b"] == {"status": "unreachable", "ok": 0, "changed": 0, "failed": 0,
                                     "unreachable": 1,
                                     "reason": "connection refused: nothing listening on the SSH port"}
    assert "b" in entry["error"]


def test_run_ids_sort_by_start_time_and_name_the_playbook():
    first, second = runs.new_run_id("site", 1_700_000_000), runs.new_run_id("site", 1_700_000_060)
    assert first < second and "-site-" in first


def dcctl(*args: str, state_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DCCTL_STATE_URL"} | {"DCCTL_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "dcctl", *args], cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("args, message", [
    (["playbook", "run", "sitee"], "unknown playbook 'sitee'"),
    (["playbook", "run", "site", "--limit", ""], "empty --limit"),
    (["playbook", "run", "site", "--limit", "rack:zz"], "no rack 'zz'"),
    (["playbook", "run", "storage", "--limit", "role:compute"], "selects none of the hosts playbook storage targets"),
    (["playbook", "run", "site", "--tags", ","], "empty --tags"),
    (["playbook", "run", "site", "--known-hosts", "/nonexistent/known_hosts"], "does not exist"),
])
def test_bad_input_is_refused_before_ansible_starts(tmp_path, args, message):
    out = dcctl(*args, state_dir=tmp_path)
    assert out.returncode == 1, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "playbook-runs").exists()  # no run was started


def test_playbook_list_as_json(tmp_path):
    out = dcctl("playbook", "list", "--json", state_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    names = [p["name"] for p in json.loads(out.stdout)["playbooks"]]
    assert names == sorted(names) and "site" in names


def test_show_without_a_run_id_lists_recent_runs_newest_first(state):
    runs.save(summary("20261125T100000-site-aaaa", failed=True))
    runs.save(summary("20261125T110000-site-bbbb", check=True))
    out = dcctl("playbook", "show", "--json", state_dir=state)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)["runs"]
    assert [(r["run_id"], r["status"], r["check"]) for r in listed] == [
        ("20261125T110000-site-bbbb", "changed", True), ("20261125T100000-site-aaaa", "failed", False)]
    assert listed[1]["failed_hosts"] == ["b"]
    text = dcctl("playbook", "show", "20261125T100000-site-aaaa", state_dir=state)
    assert text.returncode == 0, text.stderr
    assert "failed tasks (1):" in text.stdout and "Connection refused" in text.stdout


def test_passwords_in_the_environment_do_not_stay_in_the_run_artifacts(tmp_path):
    from dcctl.playbooks.runner import redact_command_env

    command = tmp_path / "command"
    command.write_text(json.dumps({"command": ["ansible-playbook"], "env": {
        "DCCTL_BMC_BAGHDAD_PASSWORD": "s3cret", "OS_PASSWORD": "x", "GITHUB_TOKEN": "t", "PATH": "/usr/bin"}}))
    redact_command_env(command)
    env = json.loads(command.read_text())["env"]
    assert env == {"DCCTL_BMC_BAGHDAD_PASSWORD": "***", "OS_PASSWORD": "***", "GITHUB_TOKEN": "***",
                   "PATH": "/usr/bin"}
