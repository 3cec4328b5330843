"""Headless Chromium from Debian's packages, for tests that look at a page as a person would."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env,
                       check=True, capture_output=True)
        path = shutil.which("chromium")
    assert path, "chromium did not install"
    return path


def render(page: Path, screenshot: Path, size: str = "1400,2400") -> list[str]:
    """Load ``page``, save a screenshot, return the console messages Chromium logged."""
    with tempfile.TemporaryDirectory(prefix="dcctl-chromium-") as profile:
        out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                              f"--screenshot={screenshot}", page.resolve().as_uri()],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
