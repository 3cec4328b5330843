"""Ministries' tenant requests: written in requests/, checked with the approved tenants, approved into tenants/.

Every test works on copies (the sample tenants, the intake rules) in a temporary folder with
its own audit log, so the real tenants/ and the user's audit log are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dcctl.cli.main import cli
from dcctl.core import records
from dcctl.tenants import load_tenants
from dcctl.tenants.request import (QUOTA_SIZES, RequestDraft, check_request, render_request, suggest_cidr,
                                   suggest_slug, write_request)
from test_tenant_corpus import CloudTouched, no_cloud  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventory"
WATER = ["--name-en", "Ministry of Water Resources", "--name-ar", "وزارة الموارد المائية",
         "--contact-email", "cloud@mowr.gov.iq"]


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A copy of the approved tenants and of the intake rules, an empty audit log, cwd inside."""
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    (tmp_path / "requests").mkdir()
    shutil.copy(ROOT / "requests" / "_intake.yaml", tmp_path / "requests" / "_intake.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DCCTL_STATE_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    monkeypatch.delenv("DCCTL_TENANTS", raising=False)
    monkeypatch.delenv("DCCTL_REQUESTS", raising=False)
    records._STORES.clear()
    yield tmp_path
    records._STORES.clear()


def dcctl(*args: str):
    return CliRunner().invoke(cli, ["--inventory", str(INVENTORY), "--state-url", os.environ["DCCTL_STATE_URL"],
                                    *args])


def new_request(*extra: str) -> Path:
    result = dcctl("tenant", "request", "new", "--yes", *WATER, *extra)
    assert result.exit_code == 0, result.output
    return Path("requests/water-resources.yaml")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The first line holding ``text`` that is not a note (comment)."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line and not line.lstrip().startswith("#"))


# ------------------------------------------------------------------ scaffolding

def test_the_short_name_is_suggested_from_the_english_name():
    assert suggest_slug("Ministry of Water Resources") == "water-resources"
    assert suggest_slug("The Ministry of the Interior") == "interior"
    assert suggest_slug("Kirkuk Governorate") == "kirkuk-governorate"
    assert suggest_slug("  2nd Housing Fund (Iraq)  ") == "nd-housing-fund-iraq"


def test_the_suggested_address_range_is_free_in_the_approved_tenants():
    tenants, _ = load_tenants(ROOT / "tenants")
    import ipaddress

    suggested = ipaddress.ip_network(suggest_cidr(tenants))
    assert suggested.prefixlen == 24 and str(suggested).startswith("10.")
    assert not any(n.cidr.overlaps(suggested) for p in tenants.projects() for n in p.networks)


@pytest.mark.parametrize("size", sorted(QUOTA_SIZES))
@pytest.mark.parametrize("kind, classification", [("ministry", "internal"), ("independent-entity", "confidential"),
                                                  ("governorate", "public"), ("ministry", "secret")])
def test_a_scaffolded_request_passes_its_check_against_the_sample_tenants(work, size, kind, classification):
    tenants, _ = load_tenants(Path("tenants"))
    draft = RequestDraft(slug="water-resources", name_en="Ministry of Water Resources", name_ar="وزارة الموارد المائية",
                         contact_email="cloud@mowr.gov.iq", kind=kind, phase=1 if kind == "ministry" else 2,
                         sites=["bgw-dc1"], classification=classification, size=size, cidr=suggest_cidr(tenants),
                         links=["secretariat/gov-docs"])
    path = write_request(render_request(draft), Path("requests"), draft.slug)
    check = check_request(path, Path("tenants"), INVENTORY, Path("requests"))
    assert check.problems == [] and check.ok and check.slug == "water-resources"


def test_the_scaffold_keeps_every_value_exactly_as_given_and_explains_fields_in_both_languages():
    draft = RequestDraft(slug="justice-council", name_en='Supreme "Judicial" Council: Courts',
                         name_ar="مجلس القضاء الأعلى", contact_email="it@hjc.iq", sites=["bgw-dc1"],
                         description="Courts # and registries", cidr="10.40.0.0/24", links=[])
    text = render_request(draft)
    data = yaml.safe_load(text)
    assert data["name"] == {"en": 'Supreme "Judicial" Council: Courts', "ar": "مجلس القضاء الأعلى"}
    assert data["description"] == "Courts # and registries"
    assert data["contacts"][0]["email"] == "it@hjc.iq" and data["links"] == []
    assert data["quota"] == QUOTA_SIZES["small"]
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert any("Short name" in c for c in comments) and any("الاسم المختصر" in c for c in comments)
    assert any("classification" in c.lower() or "sensitive" in c for c in comments)
    assert any("سري للغاية" in c for c in comments)


def test_new_writes_a_checked_request_into_the_requests_folder_not_tenants(work):
    result = dcctl("tenant", "request", "new", "--yes", *WATER, "--size", "medium")
    assert result.exit_code == 0, result.output
    assert "written: requests/water-resources.yaml" in result.output
    assert "الطلب مكتمل" in result.output
    assert not Path("tenants/water-resources.yaml").exists()
    data = yaml.safe_load(Path("requests/water-resources.yaml").read_text(encoding="utf-8"))
    assert data["slug"] == "water-resources" and data["phase"] == 1 and data["sites"] == ["bgw-dc1"]
    assert data["links"] == ["secretariat/gov-docs"] and data["quota"] == QUOTA_SIZES["medium"]


def test_new_takes_every_choice_from_flags(work):
    result = dcctl("tenant", "request", "new", "--yes", *WATER, "--slug", "mowr", "--kind", "independent-entity",
                   "--classification", "public", "--site", "bsr-edge1", "--cidr", "10.250.0.0/24", "--no-links",
                   "--contact-phone", "+964 770 300 0001", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["written"] == "requests/mowr.yaml" and report["check"]["ok"]
    data = yaml.safe_load(Path("requests/mowr.yaml").read_text(encoding="utf-8"))
    assert (data["kind"], data["phase"], data["classification"]) == ("independent-entity", 2, "public")
    assert data["sites"] == ["bsr-edge1"] and data["links"] == [] and data["networks"][0]["cidr"] == "10.250.0.0/24"
    assert data["contacts"][0]["phone"] == "+964 770 300 0001"


def test_new_without_names_lists_every_missing_flag_and_writes_nothing(work):
    result = dcctl("tenant", "request", "new", "--yes", "--name-en", "Ministry of Water Resources")
    assert result.exit_code == 1
    assert "--name-ar" in result.output and "--contact-email" in result.output
    assert "Traceback" not in result.output
    assert list(Path("requests").glob("*.yaml")) == [Path("requests/_intake.yaml")]


def test_new_never_overwrites_a_request(work):
    path = new_request()
    path.write_text(path.read_text(encoding="utf-8") + "# ministry's own notes\n", encoding="utf-8")
    result = dcctl("tenant", "request", "new", "--yes", *WATER)
    assert result.exit_code == 1 and "already exists" in result.output
    assert path.read_text(encoding="utf-8").endswith("# ministry's own notes\n")


def test_new_asks_for_what_the_flags_leave_out_on_a_terminal(work):
    """On a real terminal: names and e-mail are asked for, every other question has a default (Enter)."""
    answers = ["Ministry of Water Resources", "وزارة الموارد المائية"] + [""] * 5 + ["cloud@mowr.gov.iq"] + [""] * 6
    primary, secondary = pty.openpty()
    env = os.environ | {"DCCTL_STATE_URL": os.environ["DCCTL_STATE_URL"], "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "dcctl", "--inventory", str(INVENTORY), "tenant", "request", "new"],
                            stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    os.close(secondary)
    os.write(primary, ("\n".join(answers) + "\n").encode())
    out, err = proc.communicate(timeout=60)
    os.close(primary)
    assert proc.returncode == 0, err.decode()
    assert b"Short name (slug) [water-resources]" in out and b"Contact e-mail" in out
    data = yaml.safe_load(Path("requests/water-resources.yaml").read_text(encoding="utf-8"))
    assert data["name"]["ar"] == "وزارة الموارد المائية" and data["contacts"][0]["email"] == "cloud@mowr.gov.iq"
    assert data["links"] == ["secretariat/gov-docs"] and data["classification"] == "internal"


# ------------------------------------------------------------------ checking

COMMON_MISTAKES = [
    # (what the staff wrote wrong: old -> new, the kind explained, a line to find it at, words in the Arabic)
    ("slug: water-resources", "slug: Water_Resources", "bad-slug", "slug:", "الاسم المختصر"),
    ('  ar: "وزارة الموارد المائية"', '  ar: "Wizarat al-Mawarid"', "arabic-name", "  ar:", "بالحروف العربية"),
    ('  ar: "وزارة الموارد المائية"', "", "missing-field", "  en:", "«الاسم بالعربية»"),
    ('email: "cloud@mowr.gov.iq"', 'email: "cloud at mowr"', "bad-email", "email:", "بريد إلكتروني"),
    ('sites: ["bgw-dc1"]', 'sites: ["bgw-dc9"]', "unknown-site", "sites:", "bgw-dc9"),
    ('sites: ["bgw-dc1"]', 'sites: ["bsr-edge1"]\nclassification: secret', "site-not-cleared", "sites:", "سري للغاية"),
    ("cidr: 10.", "cidr: 10.20.0.0/24 #", "cidr-taken", "cidr:", "health"),
    ("{cores: 16,", "{cores: 500,", "quota-above-policy", "compute:", "128"),
    ('links: ["secretariat/gov-docs"]', 'links: ["secretariet/gov-docs"]', "unknown-link", "links:", "secretariet"),
    ("slug: water-resources", "slug: health", "slug-taken", "slug:", "health"),
    ("kind: ministry", "kind: ministri", "not-allowed-value", "kind:", "ministry"),
    ("\nphase: 1", "\nphase: 4", "out-of-range", "phase:", "مرحلة الانضمام"),
]


@pytest.mark.parametrize("old, new, kind, at, arabic", COMMON_MISTAKES, ids=[m[2] for m in COMMON_MISTAKES])
def test_check_explains_each_common_mistake_at_its_line_in_english_and_arabic(work, old, new, kind, at, arabic):
    path = new_request()
    edit(path, old, new)
    if kind == "site-not-cleared":
        edit(path, "classification: internal\n", "")
    result = dcctl("tenant", "request", "check", str(path), "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert not report["ok"] and report["file"] == "requests/water-resources.yaml"
    found = [p for p in report["problems"] if p["kind"] == kind]
    assert found, report["problems"]
    problem = found[0]
    assert problem["location"]["file"] == "requests/water-resources.yaml"
    assert problem["location"]["line"] == line_of(path, at)
    assert arabic in problem["ar"] and problem["en"]
    text = dcctl("tenant", "request", "check", str(path))
    assert f"requests/water-resources.yaml:{problem['location']['line']}:" in text.output
    assert problem["ar"] in text.output and problem["en"] in text.output


def test_check_of_a_clean_request_exits_0_with_a_bilingual_ok(work):
    result = dcctl("tenant", "request", "check", str(new_request()))
    assert result.exit_code == 0, result.output
    assert "The request is complete" in result.output and "الطلب مكتمل" in result.output


def test_check_reports_only_what_the_request_brings_not_the_approved_tenants_own_problems(work):
    edit(Path("tenants/health.yaml"), "cidr: 10.20.1.0/24", "cidr: 10.20.0.128/25")  # an engineer's mistake
    result = dcctl("tenant", "request", "check", str(new_request()), "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["ok"], report
    assert [p["code"] for p in report["problems"]] == ["bad-approved-set"]
    assert report["problems"][0]["severity"] == "warning"


def test_an_overlap_inside_the_request_between_its_own_projects_is_reported(work):
    path = new_request()
    with path.open("a", encoding="utf-8") as out:
        out.write("directorates:\n  - slug: water-basra\n    name: {en: Basra Water Directorate, ar: مديرية ماء البصرة}\n"
                  "    governorate: Basra\n    phase: 3\n    networks:\n"
                  "      - {name: field, cidr: 10.23.0.0/16, router: true}\n")
    report = json.loads(dcctl("tenant", "request", "check", str(path), "--json").output)
    assert [p["kind"] for p in report["problems"]] == ["cidr-taken"]
    assert "water-resources" in report["problems"][0]["message"]


def test_without_intake_rules_there_is_no_quota_ceiling(work):
    path = new_request()
    edit(path, "{cores: 16,", "{cores: 500,")
    Path("requests/_intake.yaml").unlink()
    assert dcctl("tenant", "request", "check", str(path)).exit_code == 0


def test_check_never_opens_a_cloud_connection(work, no_cloud):
    path = new_request()
    edit(path, 'sites: ["bgw-dc1"]', 'sites: ["bgw-dc9"]')
    assert dcctl("tenant", "request", "check", str(path)).exit_code == 1
    assert dcctl("tenant", "request", "approve", str(path)).exit_code == 1
    assert no_cloud == []


@pytest.mark.parametrize("where", ["tenants/health.yaml", "requests/_intake.yaml", "requests/missing.yaml"])
def test_check_refuses_what_is_not_a_request(work, where):
    result = dcctl("tenant", "request", "check", where)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error:" in result.output and "hint:" in result.output


# ------------------------------------------------------------------ approval

def audit(*args: str):
    result = dcctl("audit", *args, "--json")
    return result.exit_code, json.loads(result.output)


def test_new_check_approve_puts_the_request_in_tenants_and_audits_who_approved_what(work):
    path = new_request()
    assert dcctl("tenant", "request", "check", str(path)).exit_code == 0
    content = path.read_bytes()

    result = dcctl("tenant", "request", "approve", str(path), "--by", "Director of Cloud Services")
    assert result.exit_code == 0, result.output
    assert "approved: requests/water-resources.yaml -> tenants/water-resources.yaml" in result.output

    assert not path.exists()
    assert Path("tenants/water-resources.yaml").read_bytes() == content  # moved unchanged, comments included
    tenants, problems = load_tenants(Path("tenants"), INVENTORY)
    assert problems == [] and "water-resources" in tenants.tenants
    code, log = audit("log", "--tenant", "water-resources")
    assert code == 0 and len(log) == 1
    entry = log[0]
    assert (entry["kind"], entry["action"], entry["result"]) == ("tenant", "approve request", "approved")
    assert entry["identity"] == "Director of Cloud Services" and entry["os_user"]
    assert entry["time"]
    assert entry["after"] == {"file": "requests/water-resources.yaml", "moved_to": "tenants/water-resources.yaml",
                              "sha256": hashlib.sha256(content).hexdigest(),
                              "approved_by": "Director of Cloud Services", "warnings": 0}
    assert audit("verify") == (0, {"ok": True, "records": 1, "first_broken": None})


def test_approve_without_by_records_the_os_user_as_approver(work):
    result = dcctl("tenant", "request", "approve", str(new_request()), "--json")
    assert result.exit_code == 0, result.output
    approval = json.loads(result.output)["approval"]
    assert approval["by"] == approval["os_user"] != ""
    assert audit("log")[1][0]["identity"] == approval["os_user"]


def test_approve_refuses_a_request_with_errors_and_changes_nothing(work):
    path = new_request()
    edit(path, 'email: "cloud@mowr.gov.iq"', 'email: "cloud at mowr"')
    result = dcctl("tenant", "request", "approve", str(path), "--by", "someone")
    assert result.exit_code == 1
    assert "بريد إلكتروني" in result.output and "Not approved" in result.output
    assert path.exists() and not Path("tenants/water-resources.yaml").exists()
    assert audit("log")[1] == []


def test_approve_refuses_when_tenants_already_has_a_file_of_that_name(work):
    path = new_request()
    other = Path("tenants/water-resources.yaml")
    shutil.copy("tenants/oil.yaml", other)  # holds slug 'oil': the name is taken, not the slug
    Path("tenants/oil.yaml").unlink()
    result = dcctl("tenant", "request", "approve", str(path))
    assert result.exit_code == 1 and "already exists" in result.output
    assert path.exists() and "slug: oil" in other.read_text(encoding="utf-8")
    assert audit("log")[1] == []


def test_no_record_no_approval_when_the_audit_log_cannot_be_written(work, monkeypatch):
    path = new_request()
    blocked = work / "not-a-dir"
    blocked.write_text("a file where the audit log's folder should be")
    monkeypatch.setenv("DCCTL_STATE_URL", f"sqlite:///{blocked / 'audit.db'}")
    result = dcctl("tenant", "request", "approve", str(path))
    assert result.exit_code == 3, result.output
    assert "could not be recorded" in result.output and "Traceback" not in result.output
    assert path.exists() and not Path("tenants/water-resources.yaml").exists()


# ------------------------------------------------------------------ never to the cloud without approval

def test_a_request_waiting_in_requests_is_never_validated_planned_or_applied(work, monkeypatch, no_cloud):
    path = new_request()
    report = json.loads(dcctl("tenant", "validate", "--json").output)
    assert report["ok"] and report["tenants"] == len(list(Path("tenants").glob("[!_]*.yaml")))

    for command in (["plan"], ["apply", "--yes"], ["drift"]):
        result = dcctl("--os-cloud", "dcctl-lab", "tenant", *command, "--tenant", "water-resources")
        assert result.exit_code == 1 and "unknown tenant 'water-resources'" in result.output, result.output
    assert no_cloud == []

    seen = []

    def plan_live(conn, tenants, options=None):  # what a whole-set plan would send to the cloud
        seen.append(sorted(tenants.tenants))
        raise CloudTouched("stop before the cloud")

    monkeypatch.setattr("dcctl.cli.tenant._connect", lambda: object())
    monkeypatch.setattr("dcctl.tenants.plan_live", plan_live)
    dcctl("--os-cloud", "dcctl-lab", "tenant", "plan")
    assert seen and "water-resources" not in seen[0] and "health" in seen[0]
    assert path.exists()


def test_the_example_request_in_requests_passes_its_check_against_the_sample_tenants(monkeypatch):
    monkeypatch.chdir(ROOT)
    examples = sorted(p for p in Path("requests").glob("*.yaml") if not p.name.startswith("_"))
    assert examples
    for path in examples:
        check = check_request(path, Path("tenants"), INVENTORY, Path("requests"))
        assert check.problems == [], [str(p) for p in check.problems]


def test_check_without_a_tenants_folder_says_where_to_run_it(work):
    path = new_request()
    result = dcctl("tenant", "request", "check", str(path), "--tenants", "nowhere")
    assert result.exit_code == 1 and "no tenants directory nowhere" in result.output
    assert "Traceback" not in result.output
