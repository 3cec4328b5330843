"""The build-out report in a real headless Chromium: it loads with no console errors and shows it all."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    from dcctl.cli.main import cli

    out = tmp_path_factory.mktemp("report") / "buildout-report.html"
    result = CliRunner().invoke(cli, ["--inventory", str(ROOT / "inventory"), "buildout", "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_console_capture_sees_errors(tmp_path):
    """Control: a page that logs an error is caught, so an empty capture below means something."""
    from browser import render

    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('deliberate failure')</script></body></html>")
    assert any("deliberate failure" in line for line in render(page, tmp_path / "broken.png", "400,300"))


def test_report_loads_without_console_errors_and_is_screenshotted(report_file):
    from browser import render

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "buildout-report.png"
    assert render(report_file, shot) == []
    assert shot.stat().st_size > 50_000  # a real picture, kept as the test's artifact


def test_report_holds_every_site_hall_rack_and_a_progress_line_per_status(report_file):
    from dcctl.inventory import load_inventory

    html = report_file.read_text()
    inv, _ = load_inventory(ROOT / "inventory")
    for site in inv.sites:
        assert f"id='site-{site}'" in html
    for rack in inv.racks:
        assert f"<title>Rack {rack} elevation</title>" in html
    statuses = set(re.findall(r"data-status='([a-z-]+)'", html))
    assert {"planned", "delivered", "installed", "cabled", "provisioned", "in-service"} <= statuses
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)  # every drawing is well-formed
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
