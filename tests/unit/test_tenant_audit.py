"""Every tenant action an apply performs lands in the hash-chained audit log."""

from dcctl.core.executor import ActionResult, Outcome
from dcctl.core.plan import Action, Change, Op


def test_the_recorder_writes_each_outcome_to_the_audit_log(tmp_path, monkeypatch):
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DCCTL_STATE_URL", raising=False)
    from dcctl.audit.log import verify
    from dcctl.core import records
    from dcctl.audit.recorder import AuditRecorder

    records._STORES.clear()
    rec = AuditRecorder("tenant", "dcctl-lab")
    action = Action(Op.UPDATE, "compute-quota", "tenant:health/quota", "health", scope="health",
                    changes=(Change("cores", 100, 120),))
    rec.record(ActionResult(action, Outcome.DONE, seconds=0.1, attempts=1))
    rec.record(ActionResult(action, Outcome.FAILED, error="503 from nova", attempts=4))
    logged = list(records.read(kind="tenant", target="health"))
    assert [(r["action"], r["result"]) for r in logged] == [("update compute-quota health", "done"),
                                                          ("update compute-quota health", "failed")]
    assert logged[0]["before"] == {"cores": 100} and logged[0]["after"] == {"cores": 120}
    assert logged[1]["error"] == "503 from nova" and logged[0]["identity"] == "dcctl-lab"
    assert verify(records.store()) is None and (rec.written, rec.errors) == (2, [])
    records._STORES.clear()


def test_a_record_that_cannot_be_written_is_collected_and_the_rest_go_on(tmp_path, monkeypatch):
    """The cloud has already changed: the apply goes on, and the command reports and fails on it."""
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DCCTL_STATE_URL", raising=False)
    from dcctl.audit.recorder import AuditRecorder
    from dcctl.core import records

    records._STORES.clear()
    rec = AuditRecorder("tenant", "dcctl-lab")
    action = Action(Op.CREATE, "group", "group:health/admins", "health-admins", scope="health")
    real_append = records.store().append
    calls = []

    def flaky_append(entry):
        calls.append(entry)
        if len(calls) == 1:
            raise OSError("disk full")
        return real_append(entry)

    monkeypatch.setattr(records.store(), "append", flaky_append)
    rec.record(ActionResult(action, Outcome.DONE, attempts=1))
    rec.record(ActionResult(action, Outcome.DONE, attempts=1))
    assert rec.written == 1 and rec.errors == ["group:health/admins: disk full"]
    records._STORES.clear()
