"""Broken tenant requests: each is reported at its exact place with a fix, and nothing reaches the cloud.

A case is a folder of ``tests/unit/tenant_corpus``: its YAML files are laid out as
``tenants/`` beside the corpus base (the secretariat hub and the policy file, unless
the case holds a file of the same name or a ``NO_BASE`` marker), and ``expected.txt``
lists every problem as ``file:line:col: severity: message``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcctl.cli.main import cli
from dcctl.tenants import load_tenants

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "tenant_corpus"
INVENTORY = ROOT / "inventory"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def lay_out(case: str, workdir: Path) -> Path:
    """``workdir/tenants`` holding the base files and the case's files."""
    target = workdir / "tenants"
    target.mkdir()
    source = CORPUS / case
    if not (source / "NO_BASE").exists():
        for f in (CORPUS / "_base").iterdir():
            shutil.copy(f, target / f.name)
    for f in source.iterdir():
        if f.name not in ("expected.txt", "NO_BASE"):
            shutil.copy(f, target / f.name)
    return target


def problem_lines(case: str, workdir: Path, monkeypatch) -> list[str]:
    lay_out(case, workdir)
    monkeypatch.chdir(workdir)
    _, problems = load_tenants(Path("tenants"), INVENTORY)
    return [f"{p.location}: {p.severity.value}: {p.message}" for p in problems]


def expected_lines(case: str) -> list[str]:
    return [line for line in (CORPUS / case / "expected.txt").read_text().splitlines() if line.strip()]


class CloudTouched(AssertionError):
    pass


@pytest.fixture
def no_cloud(monkeypatch):
    """Any attempt to open a cloud connection fails the test: validation must stop first."""
    calls = []

    def connect(*args, **kwargs):
        calls.append(args)
        raise CloudTouched("a cloud connection was opened for invalid requests")

    monkeypatch.setattr("dcctl.core.cloud.connect", connect)
    return calls


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_each_broken_request_is_reported_exactly(case, tmp_path, monkeypatch):
    assert problem_lines(case, tmp_path, monkeypatch) == expected_lines(case)


@pytest.mark.parametrize("case", CASES)
def test_apply_stops_before_any_cloud_call_with_located_errors(case, tmp_path, monkeypatch, no_cloud):
    lay_out(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--inventory", str(INVENTORY), "--os-cloud", "dcctl-lab",
                                      "tenant", "apply", "--yes"])
    expected = expected_lines(case)
    if not any(": error: " in line for line in expected):
        pytest.skip("warnings only: apply goes on to the cloud")
    assert not isinstance(result.exception, CloudTouched)
    assert no_cloud == []  # zero calls of any kind, so zero writes
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for line in expected:
        assert line.split(": ", 1)[0] in result.output


@pytest.mark.parametrize("case", CASES)
def test_every_error_says_how_to_fix_it(case, tmp_path, monkeypatch):
    lay_out(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--inventory", str(INVENTORY), "--json", "tenant", "validate"])
    report = json.loads(result.output)
    assert report["problems"], "a corpus case must produce at least one problem"
    for problem in report["problems"]:
        assert problem["hint"], problem


def test_the_sample_requests_are_valid(monkeypatch):
    monkeypatch.chdir(ROOT)
    tenants, problems = load_tenants(Path("tenants"), INVENTORY)
    assert problems == []
    assert len(tenants.tenants) >= 20
    phases = {p.phase for p in tenants.projects()}
    kinds = {t.kind.value for t in tenants.tenants.values()}
    assert phases == {1, 2, 3}
    assert kinds == {"ministry", "independent-entity", "governorate"}
    hub = tenants.tenants["secretariat"]
    assert any(n.shared for n in hub.networks)
    linked = [t for t in tenants.tenants.values() if "secretariat/gov-docs" in t.links]
    assert len(linked) >= 15
