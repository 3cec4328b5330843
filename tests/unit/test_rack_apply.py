"""Applying an enroll plan: credentials resolved at write time, never leaked; one bad node stops only itself."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from dcctl.core.executor import Outcome
from dcctl.inventory import load_inventory
from dcctl.racks.apply import EnrollRecorder, apply_enroll
from dcctl.racks.credentials import CredentialCache
from dcctl.racks.deploy_profile import DeployProfile
from dcctl.racks.desired import node_specs
from dcctl.racks.ironic import IronicSnapshot
from dcctl.racks.plan import plan_enroll

ROOT = Path(__file__).resolve().parents[2]
ENV = {"DCCTL_BMC_BAGHDAD_USERNAME": "bgw-admin", "DCCTL_BMC_BAGHDAD_PASSWORD": "bgw-pa55-word",
       "DCCTL_BMC_BASRA_USERNAME": "bsr-admin", "DCCTL_BMC_BASRA_PASSWORD": "bsr-pa55-word"}
# DCCTL_BMC_ANBAR_* deliberately missing


class FakeBaremetal:
    """Records the writes an enroll makes, like Ironic would answer them."""

    def __init__(self, fail_node: str | None = None, echo_password: bool = False) -> None:
        self.nodes: dict[str, dict] = {}
        self.ports: list[dict] = []
        self.patches: list[tuple[str, list]] = []
        self.fail_node = fail_node
        self.echo_password = echo_password
        self.lock = threading.Lock()

    def create_node(self, name: str, **body):
        if name == self.fail_node:
            detail = body["driver_info"]["redfish_password"] if self.echo_password else "bad field"
            raise RuntimeError(f"Ironic refused node {name}: {detail}")
        with self.lock:
            self.nodes[name] = {"id": f"id-{name}", **body}
        return SimpleNamespace(id=f"id-{name}")

    def create_port(self, node_uuid: str, address: str, pxe_enabled: bool):
        assert node_uuid.startswith("id-")
        with self.lock:
            self.ports.append({"node_uuid": node_uuid, "address": address, "pxe_enabled": pxe_enabled})
        return SimpleNamespace(id=f"port-{address}")

    def patch_node(self, node_id: str, patch: list):
        self.patches.append((node_id, patch))

    def patch_port(self, port_id: str, patch: list):
        self.patches.append((port_id, patch))


@pytest.fixture(scope="module")
def specs():
    inv, _ = load_inventory(ROOT / "inventory")
    return node_specs(inv, inv.servers(), DeployProfile())


def test_nodes_are_created_with_resolved_credentials_then_their_ports(specs):
    baghdad = [s for s in specs if s.credentials == "env:DCCTL_BMC_BAGHDAD"]
    ironic = FakeBaremetal()
    report = apply_enroll(plan_enroll(baghdad, IronicSnapshot()), ironic, CredentialCache(ENV),
                          recorder=EnrollRecorder(store=False))
    assert report.ok, report.summary()
    node = ironic.nodes["bgw-cmp01"]
    assert node["driver_info"]["redfish_username"] == "bgw-admin"
    assert node["driver_info"]["redfish_password"] == "bgw-pa55-word"
    assert node["driver_info"]["redfish_system_id"].startswith("/redfish/v1/Systems/")
    assert len(ironic.ports) == sum(len(s.ports) for s in baghdad)
    assert {p["node_uuid"] for p in ironic.ports} == {f"id-{s.name}" for s in baghdad}


def test_missing_credentials_fail_those_nodes_only_and_skip_their_ports(specs):
    ironic = FakeBaremetal()
    recorder = EnrollRecorder(store=False)
    report = apply_enroll(plan_enroll(specs, IronicSnapshot()), ironic, CredentialCache(ENV), recorder=recorder)
    failed = {r.action.key: r.error for r in report.by_outcome(Outcome.FAILED)}
    assert set(failed) == {"node:anb-cmp01", "node:anb-cmp02"}
    assert failed["node:anb-cmp01"] == ("BMC credentials env:DCCTL_BMC_ANBAR: DCCTL_BMC_ANBAR_USERNAME and "
                                        "DCCTL_BMC_ANBAR_PASSWORD are not set")
    skipped = {r.action.payload["node"] for r in report.by_outcome(Outcome.SKIPPED)}
    assert skipped == {"anb-cmp01", "anb-cmp02"}
    assert set(ironic.nodes) == {s.name for s in specs} - {"anb-cmp01", "anb-cmp02"}
    assert len(recorder.results) == len(report.results)


def test_an_error_echoing_the_password_is_scrubbed(specs):
    ironic = FakeBaremetal(fail_node="bsr-cmp01", echo_password=True)
    basra = [s for s in specs if s.rack == "bsr-r01"]
    report = apply_enroll(plan_enroll(basra, IronicSnapshot()), ironic, CredentialCache(ENV),
                          recorder=EnrollRecorder(store=False))
    (failure,) = report.by_outcome(Outcome.FAILED)
    assert "bsr-pa55-word" not in failure.error and "***" in failure.error
    assert "bsr-cmp02" in ironic.nodes


def test_updates_patch_only_the_changed_fields_and_credentials(specs):
    from dcctl.racks.desired import unflatten
    from dcctl.racks.ironic import NodeState

    spec = next(s for s in specs if s.name == "bsr-cmp02")
    body = unflatten(spec.desired)
    body["driver_info"]["redfish_address"] = "https://10.0.0.1"  # and no credentials at all
    snapshot = IronicSnapshot([NodeState("uuid-2", "bsr-cmp02", "available", body=body)], [])
    plan = plan_enroll([spec], snapshot)
    plan.actions = [a for a in plan.actions if a.kind == "node"]
    ironic = FakeBaremetal()
    records = []
    recorder = EnrollRecorder(store=False)
    recorder.record = lambda r: records.append(r)  # what the audit trail would get
    assert apply_enroll(plan, ironic, CredentialCache(ENV), recorder=recorder).ok
    ((node_id, patch),) = ironic.patches
    assert node_id == "uuid-2"
    assert {p["path"]: p["value"] for p in patch} == {
        "/driver_info/redfish_address": "https://127.0.21.12:28443",
        "/driver_info/redfish_username": "bsr-admin", "/driver_info/redfish_password": "bsr-pa55-word"}
    audit = json.dumps([[c.__dict__ if hasattr(c, "__dict__") else str(c) for c in r.action.changes]
                        for r in records], default=str)
    assert "bsr-pa55-word" not in audit and "(from env:DCCTL_BMC_BASRA)" in audit


def test_records_go_to_the_audit_trail_without_secrets(specs, tmp_path, monkeypatch):
    monkeypatch.setenv("DCCTL_STATE_DIR", str(tmp_path))
    from dcctl.core import records

    basra = [s for s in specs if s.rack == "bsr-r01"]
    recorder = EnrollRecorder()
    report = apply_enroll(plan_enroll(basra, IronicSnapshot()), FakeBaremetal(), CredentialCache(ENV),
                          recorder=recorder)
    assert report.ok and not recorder.errors
    entries = list(records.read(kind="rack", target="bsr-r01"))
    assert len(entries) == len(report.results)
    assert "bsr-pa55-word" not in json.dumps(entries, default=str)


def test_debug_logs_of_the_client_library_never_show_the_password(specs):
    import io
    import logging

    class LoggingBaremetal(FakeBaremetal):
        def create_node(self, name, **body):
            logging.getLogger("keystoneauth.session").debug("REQ: POST /v1/nodes -d '%s'", json.dumps(body))
            return super().create_node(name, **body)

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        basra = [s for s in specs if s.rack == "bsr-r01"]
        assert apply_enroll(plan_enroll(basra, IronicSnapshot()), LoggingBaremetal(), CredentialCache(ENV),
                            recorder=EnrollRecorder(store=False)).ok
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    logged = stream.getvalue()
    assert '"redfish_password": "***"' in logged and "bsr-pa55-word" not in logged
    assert not handler.filters  # the redaction is removed after the apply
