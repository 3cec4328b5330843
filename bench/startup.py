"""`dcctl --help` start-up time against `openstack --help` (python-openstackclient), same run.

Goal (issue 2): dcctl <= 0.3 s and at least 5x faster than the openstack CLI.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchlib import Measure, report, time_command

BIN = Path(sys.executable).parent


def main() -> None:
    dcctl = shutil.which("dcctl", path=str(BIN)) or shutil.which("dcctl")
    openstack = shutil.which("openstack", path=str(BIN)) or shutil.which("openstack")
    if not dcctl or not openstack:
        sys.exit("needs dcctl and openstack (python-openstackclient) on PATH: pip install -e '.[test]'")
    time_command([dcctl, "--help"], 1)  # warm the page cache for both
    time_command([openstack, "--help"], 1)
    ours = time_command([dcctl, "--help"], 15)
    theirs = time_command([openstack, "--help"], 5)
    sub = time_command([dcctl, "inventory", "validate", "--help"], 15)
    ratio = theirs / ours
    report([
        Measure("startup_help", ours, "s", "<= 0.3 s and >= 5x", ours <= 0.3 and ratio >= 5,
                "openstack --help", theirs, ratio),
        Measure("startup_subcommand_help", sub, "s", "<= 0.3 s", sub <= 0.3),
    ])


if __name__ == "__main__":
    main()
