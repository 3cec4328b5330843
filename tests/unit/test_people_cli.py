"""``dcctl people import`` stops on a bad CSV with every problem and its row, before any API call."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dcctl.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
BASE = ["--inventory", str(ROOT / "inventory"), "--os-cloud", "no-such-cloud"]


def run(*args: str):
    return CliRunner().invoke(cli, [*BASE, *args, "--tenants", str(ROOT / "tenants")])


def test_a_bad_csv_is_refused_with_every_row_problem_and_no_cloud_contacted(tmp_path):
    bad = tmp_path / "staff.csv"
    bad.write_text("username,full_name,email,groups\nali,Ali,ali@cbi,operater\nali,Ali,ali@cbi.iq,admins\n")
    result = run("people", "import", str(bad), "--tenant", "cbi-epayment", "--yes")
    assert result.exit_code == 1
    assert "row 2: e-mail 'ali@cbi' of 'ali' is not an e-mail address" in result.output
    assert "row 2: tenant 'cbi-epayment' has no group 'operater'" in result.output
    assert "row 3: username 'ali' is also on row 2" in result.output
    assert "no-such-cloud" not in result.output  # stopped before connecting

    data = json.loads(run("--json", "people", "import", str(bad), "--tenant", "cbi-epayment").stdout)
    assert data["errors"] == 3 and {p["location"]["line"] for p in data["problems"]} == {2, 3}


def test_an_unknown_tenant_is_named_with_a_suggestion():
    result = run("people", "import", str(ROOT / "people" / "cbi-epayment.csv"), "--tenant", "cbi-epaymnt")
    assert result.exit_code == 1 and "unknown tenant 'cbi-epaymnt'" in result.output
    assert "did you mean 'cbi-epayment'?" in result.output


def test_the_sample_csv_is_valid_for_its_tenant():
    from dcctl.people.roster import load_roster
    from dcctl.tenants import load_tenants

    tenants, _ = load_tenants(ROOT / "tenants", ROOT / "inventory")
    groups = [g.name for g in tenants.tenants["cbi-epayment"].groups]
    roster, problems = load_roster(ROOT / "people" / "cbi-epayment.csv", "cbi-epayment", groups)
    assert problems == [] and len(roster.members) == 4
