"""Apply an enroll plan to Ironic: nodes, then their ports, through the shared executor.

Credentials are resolved from each node's reference here, at the moment of the write,
and go only into the request body; an error that would echo them is scrubbed. The
nodes of a rack are independent, so one failing node (credentials missing, Ironic
refusing a field) skips only its own ports, never the other nodes. A pruned node is read
again just before its delete: one that got busy since the plan is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dcctl.audit.recorder import AuditRecorder
from dcctl.core.executor import ActionResult, ApplyReport, apply_plan
from dcctl.core.plan import Action, Op, Plan
from dcctl.racks.credentials import CredentialCache, CredentialError, redacted_logging
from dcctl.racks.desired import NodeSpec

log = logging.getLogger("dcctl.racks")


class EnrollRecorder(AuditRecorder):
    """The audit trail's ``rack`` records (target: the rack; credentials appear only as their
    reference, as in the plan's changes), plus every result kept for the command's report."""

    def __init__(self, store: bool = True, identity: str | None = None) -> None:
        super().__init__("rack", identity)
        self.results: list[ActionResult] = []
        self.store = store

    def record(self, result: ActionResult) -> None:
        with self._lock:
            self.results.append(result)
        a = result.action
        log.info("rack %s: %s %s %s: %s%s", a.scope, a.op.value, a.kind, a.key, result.outcome.value,
                 f" ({result.error})" if result.error else "")
        if self.store:
            super().record(result)


def apply_enroll(plan: Plan, baremetal, credentials: CredentialCache | None = None, *,
                 concurrency: int = 8, recorder=None,
                 on_progress: Callable[[ActionResult], None] | None = None) -> ApplyReport:
    """Perform the plan's node and port writes; a failed node skips its ports only."""
    from dcctl.core.cloud import is_transient

    credentials = credentials or CredentialCache()

    def perform(action: Action, results: dict[str, Any]) -> Any:
        try:
            return _perform(baremetal, credentials, action, results)
        except CredentialError:
            raise
        except Exception as exc:
            secrets = credentials.secrets()
            text = str(exc)
            if any(s and s in text for s in secrets):
                for s in secrets:
                    text = text.replace(s, "***")
                raise RuntimeError(text) from None
            raise

    with redacted_logging(credentials):
        return apply_plan(plan, perform, concurrency=concurrency, is_transient=is_transient,
                          recorder=recorder or EnrollRecorder(), on_progress=on_progress, keep_going=True)


def _perform(baremetal, credentials: CredentialCache, action: Action, results: dict[str, Any]) -> Any:
    if action.kind == "node" and action.op is Op.CREATE:
        spec: NodeSpec = action.payload["spec"]
        body = spec.create_body()
        creds = credentials.get(spec.credentials)
        body["driver_info"]["redfish_username"] = creds.username
        body["driver_info"]["redfish_password"] = creds.password.reveal()
        node = baremetal.create_node(name=spec.name, **body)
        return node.id
    if action.kind == "node" and action.op is Op.UPDATE:
        spec = action.payload["spec"]
        patch = []
        for change in action.changes:
            value = change.new
            if change.field == "driver_info.redfish_username":
                value = credentials.get(spec.credentials).username
            elif change.field == "driver_info.redfish_password":
                value = credentials.get(spec.credentials).password.reveal()
            patch.append({"op": "add", "path": "/" + change.field.replace(".", "/"), "value": value})
        baremetal.patch_node(action.payload["node_id"], patch)
        return action.payload["node_id"]
    if action.kind == "node" and action.op is Op.DELETE:
        return _delete_orphan(baremetal, action.payload["node_id"])
    if action.kind == "port" and action.op is Op.CREATE:
        port = action.payload["port"]
        node_id = action.payload["node_id"] or results[f"node:{action.payload['node']}"]
        return baremetal.create_port(node_uuid=node_id, address=port.mac, pxe_enabled=port.pxe).id
    if action.kind == "port" and action.op is Op.UPDATE:
        port = action.payload["port"]
        baremetal.patch_port(action.payload["port_id"],
                             [{"op": "replace", "path": "/pxe_enabled", "value": port.pxe}])
        return action.payload["port_id"]
    raise ValueError(f"dcctl cannot {action.op.value} a {action.kind}")  # pragma: no cover


def _delete_orphan(baremetal, node_id: str) -> str:
    """Delete a pruned node if it still may be (see :func:`dcctl.racks.plan.prune_refusal`)."""
    from openstack.exceptions import NotFoundException

    from dcctl.racks.ironic import NodeState
    from dcctl.racks.plan import prune_refusal

    try:
        node = baremetal.get_node(node_id, fields=["uuid", "name", "provision_state", "target_provision_state",
                                                    "extra"])
    except NotFoundException:
        return node_id  # already gone: what the plan wanted
    refusal = prune_refusal(NodeState(node.id, node.name, node.provision_state, node.target_provision_state,
                                      body={"extra": dict(node.extra or {})}))
    if refusal:
        raise RuntimeError(f"not deleted, it changed since the plan: {refusal}")
    baremetal.delete_node(node_id)
    return node_id
