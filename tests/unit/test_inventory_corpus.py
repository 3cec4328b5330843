"""Broken inventories: each is reported at its exact place, with a fix, never a traceback."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

from corpus import cases, expected_lines, problem_lines
from dcctl.cli.main import cli

CASES = cases()


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_each_broken_inventory_is_reported_exactly(case, tmp_path):
    assert problem_lines(case, tmp_path) == expected_lines(case)


@pytest.mark.parametrize("case", CASES)
def test_validate_exits_1_with_located_errors_and_no_traceback(case, tmp_path, monkeypatch):
    problem_lines(case, tmp_path)  # lays the case out under tmp_path/inventory
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["inventory", "validate"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    expected = expected_lines(case)
    if any(": error: " in line for line in expected):
        assert result.exit_code == 1
    for line in expected:
        location = line.split(": ", 1)[0]
        assert location in result.output


@pytest.mark.parametrize("case", CASES)
def test_every_error_says_how_to_fix_it(case, tmp_path, monkeypatch):
    problem_lines(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--json", "inventory", "validate"])
    import json

    report = json.loads(result.output)
    assert report["ok"] is False or report["errors"] == 0
    for problem in report["problems"]:
        if problem["severity"] == "error" and problem["code"] not in ("io",):
            assert problem["hint"], problem


def test_a_secret_in_the_inventory_is_never_echoed(tmp_path, monkeypatch):
    problem_lines("34-secret-in-credentials", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["inventory", "validate"])
    assert "calvin" not in result.output
    assert "never the secret itself" in result.output


def test_a_missing_inventory_directory_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--inventory", "nowhere", "inventory", "validate"])
    assert result.exit_code == 1
    assert "nowhere: error: inventory directory does not exist" in result.output
