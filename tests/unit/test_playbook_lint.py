"""playbooks/ passes ansible-lint's production profile (config: playbooks/.ansible-lint)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_playbooks_pass_ansible_lint(tmp_path):
    lint = Path(sys.executable).parent / "ansible-lint"
    lint = str(lint) if lint.exists() else shutil.which("ansible-lint")
    assert lint, "ansible-lint is missing: pip install -e '.[test]'"
    out = subprocess.run(
        [lint, "--offline", "--nocolor", "-c", ".ansible-lint", "."],
        cwd=ROOT / "playbooks", capture_output=True, text=True, timeout=300,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
             "ANSIBLE_HOME": str(tmp_path / "ansible"), "LANG": "C.UTF-8"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Passed" in out.stdout + out.stderr and "production" in out.stdout + out.stderr
