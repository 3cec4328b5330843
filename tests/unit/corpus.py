"""Lay out a corpus case of broken inventory as a real directory and load it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dcctl.inventory import load_inventory

CORPUS = Path(__file__).parent / "inventory_corpus"
BASE = CORPUS / "_base.yaml"


def cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def problem_lines(case: str, workdir: Path) -> list[str]:
    """Problems of a case as ``file:line:col: severity: message``, files relative to workdir."""
    target = workdir / "inventory"
    target.mkdir()
    source = CORPUS / case
    if not (source / "NO_BASE").exists():
        shutil.copy(BASE, target / "base.yaml")
    for f in source.iterdir():
        if f.name not in ("expected.txt", "NO_BASE"):
            shutil.copy(f, target / f.name)
    old = os.getcwd()
    os.chdir(workdir)
    try:
        _, problems = load_inventory(Path("inventory"))
    finally:
        os.chdir(old)
    return [f"{p.location}: {p.severity.value}: {p.message}" for p in problems]


def expected_lines(case: str) -> list[str]:
    return [line for line in (CORPUS / case / "expected.txt").read_text().splitlines() if line.strip()]
