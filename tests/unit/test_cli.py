"""The command line: instant help, shared options in both places, documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from dcctl.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("openstack", "ansible_runner", "paramiko", "prometheus_client", "sushy", "keystoneauth1")


def all_command_paths(group: click.Group, prefix=()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        paths.append(prefix + (name,))
        if isinstance(cmd, click.Group):
            paths += all_command_paths(cmd, prefix + (name,))
    return paths


def test_every_help_runs_without_importing_heavy_libraries():
    script = (
        "import sys, click\n"
        "from dcctl.cli.main import cli\n"
        "from test_cli import all_command_paths\n"
        "from click.testing import CliRunner\n"
        "paths = [()] + all_command_paths(cli)\n"
        "for p in paths:\n"
        "    r = CliRunner().invoke(cli, list(p) + ['--help'])\n"
        "    assert r.exit_code == 0, (p, r.output)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(len(paths))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "tests" / "unit"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    loaded, count = out.stdout.splitlines()
    assert loaded == "[]"
    assert int(count) >= 8


def test_json_is_accepted_before_and_after_the_command(monkeypatch):
    monkeypatch.chdir(ROOT)
    before = CliRunner().invoke(cli, ["--json", "inventory", "show"])
    after = CliRunner().invoke(cli, ["inventory", "show", "--json"])
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.output) == json.loads(after.output)


def test_usage_errors_exit_2():
    out = subprocess.run([sys.executable, "-m", "dcctl", "inventory", "show", "--no-such-option"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert "No such option" in out.stderr


def test_unknown_rack_is_a_clear_error_exit_1():
    out = subprocess.run([sys.executable, "-m", "dcctl", "inventory", "show", "--rack", "bgw-a99"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1
    assert "error: unknown rack 'bgw-a99'" in out.stderr
    assert "Traceback" not in out.stderr


def test_commands_that_need_a_valid_inventory_refuse_a_broken_one(tmp_path):
    (tmp_path / "bad.yaml").write_text("racks:\n  - {name: r1}\n")
    out = subprocess.run([sys.executable, "-m", "dcctl", "--inventory", str(tmp_path), "inventory", "export"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1
    assert "missing required key 'site'" in out.stderr


def test_elevation_writes_an_svg(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    target = tmp_path / "a01.svg"
    result = CliRunner().invoke(cli, ["inventory", "elevation", "bgw-a01", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("<svg")
