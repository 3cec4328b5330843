"""ansible-runner's events become live per-host outcomes and a recap that says why a host failed."""

from __future__ import annotations

from dcctl.playbooks.recap import RunRecap, TaskOutcome, failure_message, render_diff, short_reason


def event(kind: str, host: str = "", task: str = "", role: str = "", **data) -> dict:
    body = {"host": host, "task": task, "role": role, **data}
    return {"event": kind, "event_data": {k: v for k, v in body.items() if v not in ("", None)}}


def stats(**columns) -> dict:
    return {"event": "playbook_on_stats", "event_data": columns}


HOST_KEY_CHANGED = (
    "Failed to connect to the host via ssh: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
    "Host key verification failed.")


def test_a_run_folds_into_outcomes_and_a_recap_per_host():
    recap = RunRecap()
    events = [
        {"event": "playbook_on_start", "event_data": {}},
        event("playbook_on_task_start", task="Write chrony.conf with the site's NTP servers", role="chrony"),
        event("runner_on_start", "a"),
        event("runner_on_ok", "a", "Write chrony.conf with the site's NTP servers", "chrony", res={"changed": True}),
        event("runner_on_ok", "b", "Write chrony.conf with the site's NTP servers", "chrony", res={"changed": False}),
        event("runner_on_unreachable", "c", "Gathering Facts", res={"msg": HOST_KEY_CHANGED, "unreachable": True}),
        event("runner_on_failed", "d", "Check the site has NTP servers", "chrony",
              res={"failed": True, "msg": "site anb-edge1 has no ntp_servers in the rack inventory"}),
        event("runner_on_failed", "b", "Optional probe", res={"failed": True, "msg": "nope"}, ignore_errors=True),
        stats(ok={"a": 5, "b": 6, "d": 1}, changed={"a": 3}, failures={"d": 1}, dark={"c": 1},
              skipped={"a": 1}, ignored={"b": 1}),
    ]
    outcomes = [o for o in (recap.add(e) for e in events) if o is not None]

    assert [(o.host, o.status) for o in outcomes] == [
        ("a", "changed"), ("b", "ok"), ("c", "unreachable"), ("d", "failed"), ("b", "ignored")]
    assert outcomes[0].task == "chrony : Write chrony.conf with the site's NTP servers"
    assert recap.tasks == 1 and recap.stats_seen
    assert {h: r.status for h, r in recap.hosts.items()} == {
        "a": "changed", "b": "ok", "c": "unreachable", "d": "failed"}
    assert recap.bad_hosts == ["c", "d"] and recap.changed_hosts == ["a"]
    assert recap.hosts["c"].reason == "host key changed: does not match known_hosts"
    assert recap.hosts["d"].reason == ("chrony : Check the site has NTP servers: "
                                       "site anb-edge1 has no ntp_servers in the rack inventory")
    assert recap.hosts["b"].reason == ""  # an ignored error does not fail the host
    assert [f.host for f in recap.failures] == ["c", "d"]


def test_the_recap_survives_its_json_form():
    recap = RunRecap()
    recap.add(event("runner_on_unreachable", "c", "Gathering Facts", res={"msg": "ssh: connect to host "
                                                                               "127.0.10.250 port 2222: Connection refused"}))
    recap.add(stats(dark={"c": 1}))
    again = RunRecap.from_dict(recap.as_dict())
    assert again.as_dict() == recap.as_dict()
    assert again.hosts["c"].reason == "connection refused: nothing listening on the SSH port"


def test_unreachable_reasons_read_like_what_happened():
    def reason(msg: str) -> str:
        return short_reason(TaskOutcome("h", "Gathering Facts", "unreachable", msg))

    assert reason("Failed to connect to the host via ssh: Host key verification failed.") == \
        "host key verification failed: key unknown or changed"
    assert reason("Failed to connect: root@127.0.10.11: Permission denied (publickey).") == \
        "SSH authentication refused: key not accepted"
    assert reason("ssh: connect to host 10.0.0.1 port 22: Connection timed out") == "connection timed out"
    assert reason("something new\nwith detail") == "unreachable: something new"


def test_failure_messages_include_failed_loop_items_and_stderr():
    res = {"msg": "One or more items failed", "results": [
        {"failed": False, "item": {"name": "ok"}},
        {"failed": True, "_ansible_item_label": "lhassan", "msg": "useradd: group 'x' does not exist"},
    ], "stderr": "trace"}
    assert failure_message(res) == ("One or more items failed\nitem lhassan: useradd: group 'x' does not exist"
                                    "\ntrace")
    assert failure_message({}) == "failed without a message"


def test_file_diffs_render_as_unified_diffs():
    diff = [{"before": "server a iburst\n", "after": "server a iburst\nserver b iburst\n",
             "before_header": "/etc/chrony/chrony.conf", "after_header": "dynamically generated"}]
    text = render_diff(diff)
    assert text.splitlines()[:2] == ["--- /etc/chrony/chrony.conf", "+++ dynamically generated"]
    assert "+server b iburst" in text
    assert render_diff([{"before": {"state": "absent"}, "after": {"state": "directory"}}]).endswith(
        "-state: absent\n+state: directory")
    assert render_diff([{"prepared": "+ line"}]) == "+ line"
    assert render_diff(None) == ""


def test_a_run_stopped_before_its_recap_is_incomplete():
    recap = RunRecap()
    recap.add({"event": "playbook_on_start", "event_data": {}})
    assert not recap.stats_seen and recap.hosts == {}


def test_an_interrupted_run_keeps_the_counts_seen_so_far():
    recap = RunRecap()
    recap.add(event("runner_on_ok", "a", "t1", res={"changed": True}))
    recap.add(event("runner_on_ok", "a", "t2", res={}))
    recap.add(event("runner_on_skipped", "a", "t3"))
    assert (recap.hosts["a"].ok, recap.hosts["a"].changed, recap.hosts["a"].skipped) == (2, 1, 1)
    assert not recap.stats_seen
    recap.add(stats(ok={"a": 2}, changed={"a": 1}))  # Ansible's own recap is the last word
    assert (recap.hosts["a"].ok, recap.hosts["a"].changed, recap.hosts["a"].skipped) == (2, 1, 0)
