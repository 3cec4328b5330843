"""`inventory promote` writes the new status into the YAML and leaves everything else as written."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from dcctl.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def copy_inventory(tmp_path: Path) -> Path:
    target = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", target)
    return target


def test_promote_adds_the_status_and_keeps_comments_and_every_other_line(tmp_path):
    inv = copy_inventory(tmp_path)
    before = (inv / "baghdad" / "hall-b.yaml").read_text().splitlines()
    result = CliRunner().invoke(cli, ["--inventory", str(inv), "inventory", "promote", "bgw-cmp04",
                                      "--to", "provisioned", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    after = (inv / "baghdad" / "hall-b.yaml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][1].endswith("cabled: 2026-10-12, provisioned: 2026-11-20}")
    assert before[0].startswith("# Baghdad, hall B")


def test_the_promoted_inventory_reads_back_with_the_new_status(tmp_path):
    from dcctl.inventory import load_inventory
    from dcctl.inventory.model import LifecycleStatus

    inv = copy_inventory(tmp_path)
    CliRunner().invoke(cli, ["--inventory", str(inv), "inventory", "promote", "--rack", "bsr-r01",
                             "--to", "provisioned", "--date", "2026-11-21"])
    loaded, problems = load_inventory(inv)
    assert not problems
    assert {d.status for d in loaded.servers() if d.rack == "bsr-r01"} == {LifecycleStatus.PROVISIONED}


def test_a_status_never_moves_backwards(tmp_path):
    inv = copy_inventory(tmp_path)
    result = CliRunner().invoke(cli, ["--inventory", str(inv), "inventory", "promote", "bgw-ctl01",
                                      "--to", "cabled"])
    assert result.exit_code == 1
    assert "already in-service; cabled is not a step forward" in result.output
