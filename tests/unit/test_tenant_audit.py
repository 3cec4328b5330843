"""Every tenant action an apply performs lands in the hash-chained audit log."""

from dcctl.core.executor import ActionResult, Outcome
from dcctl.core.plan import Action, Change, Op


def test_apply_record_writes_each_outcome_to_the_audit_log(tmp_path, monkeypatch):
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DCCTL_STATE_URL", raising=False)
    from dcctl.audit.log import verify
    from dcctl.core import records
    from dcctl.tenants.record import ApplyRecord

    records._STORES.clear()
    rec = ApplyRecord("tenant apply", "dcctl-lab")
    action = Action(Op.UPDATE, "compute-quota", "tenant:health/quota", "health", scope="health",
                    changes=(Change("cores", 100, 120),))
    rec.record(ActionResult(action, Outcome.DONE, seconds=0.1, attempts=1))
    rec.record(ActionResult(action, Outcome.FAILED, error="503 from nova", attempts=4))
    logged = list(records.read(kind="tenant", target="health"))
    assert [(r["action"], r["result"]) for r in logged] == [("update compute-quota health", "done"),
                                                          ("update compute-quota health", "failed")]
    assert logged[0]["before"] == {"cores": 100} and logged[0]["after"] == {"cores": 120}
    assert logged[1]["error"] == "503 from nova" and logged[0]["identity"] == "dcctl-lab"
    assert verify(records.store()) is None and rec.audit_errors == []
    records._STORES.clear()
