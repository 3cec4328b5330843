"""Every problem a request can have is explained to ministry staff in plain English and in Arabic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dcctl.core.problems import Location, error, warning
from dcctl.tenants import load_tenants
from dcctl.tenants.messages import explain, report_lines
from test_tenant_corpus import CASES, INVENTORY, lay_out

ARABIC = re.compile(r"[\u0600-\u06FF]")


def corpus_problems(case: str, tmp_path: Path, monkeypatch):
    lay_out(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    return load_tenants(Path("tenants"), INVENTORY)[1]


@pytest.mark.parametrize("case", CASES)
def test_every_broken_request_of_the_corpus_gets_a_specific_bilingual_explanation(case, tmp_path, monkeypatch):
    for problem in corpus_problems(case, tmp_path, monkeypatch):
        words = explain(problem)
        assert words.kind != "other", f"no plain-language rule for: {problem}"
        assert ARABIC.search(words.ar), words.ar
        assert not ARABIC.search(words.en), words.en
        for text in (words.en, words.ar):
            assert "{" not in text and "}" not in text, text  # every placeholder was filled


@pytest.mark.parametrize("message, code, kind, values", [
    ("'slug': not a valid name (got 'Health_Ministry')", "string_pattern_mismatch", "bad-slug", ["Health_Ministry"]),
    ("missing required key 'ar'", "missing-key", "missing-field", ["'ar'", "«الاسم بالعربية»"]),
    ("'ar': the Arabic name must be written in Arabic letters (got 'Wizarat')", "value_error", "arabic-name", []),
    ("'email': not an e-mail address (got 'cloud at moh')", "value_error", "bad-email", ["cloud at moh"]),
    ("unknown site 'bgw-dc9'", "unknown-site", "unknown-site", ["bgw-dc9"]),
    ("network 'apps' (10.20.0.0/24) overlaps network 'apps' of health (10.20.0.0/24)", "cidr-taken",
     "cidr-taken", ["10.20.0.0/24", "health"]),
    ("water asks for 500 cores (quota.compute.cores), above the data centre's ceiling of 128 for one project",
     "quota-above-ceiling", "quota-above-policy", ["500", "128", "water"]),
    ("link 'secretariet/gov-docs': no tenant or directorate 'secretariet'", "unknown-link", "unknown-link",
     ["secretariet/gov-docs"]),
    ("site 'bsr-edge1' is not cleared for secret data", "classification-site", "site-not-cleared", ["bsr-edge1"]),
    ("tenant 'health' is requested twice", "duplicate-slug", "slug-taken", ["health"]),
])
def test_the_common_mistakes_name_their_values_in_both_languages(message, code, kind, values):
    words = explain(error(Location("requests/water.yaml", 3, 7), message, code=code))
    assert words.kind == kind
    for value in values:
        assert value in words.ar or value.strip("'«»") in words.ar, (value, words.ar)
        assert value in words.en or value.strip("'«»") in words.en or ARABIC.search(value), (value, words.en)


def test_a_classification_is_named_in_arabic_in_the_arabic_sentence():
    words = explain(error(Location("f"), "site 'bsr-edge1' is not cleared for secret data", code="classification-site"))
    assert "سري للغاية" in words.ar and "secret" in words.en


def test_the_validators_did_you_mean_reaches_both_languages():
    words = explain(error(Location("f"), "unknown site 'bgw-dc2'", "did you mean 'bgw-dc1'? allowed: bgw-dc1",
                          code="unknown-site"))
    assert "Did you mean 'bgw-dc1'?" in words.en
    assert "هل تقصد 'bgw-dc1'؟" in words.ar


def test_a_problem_no_rule_knows_still_gets_both_languages_and_keeps_the_engineers_words():
    words = explain(error(Location("f"), "something new the validator learnt", code="brand-new-rule"))
    assert words.kind == "other"
    assert "something new the validator learnt" in words.en
    assert ARABIC.search(words.ar)


def test_a_rule_whose_message_does_not_fit_falls_through_instead_of_printing_blanks():
    words = explain(error(Location("f"), "unknown site written differently", code="unknown-site"))
    assert words.kind == "other"


def test_the_report_puts_file_line_and_column_first_then_english_arabic_and_a_bilingual_total():
    problems = [error(Location("requests/water.yaml", 14, 7), "'ar': the Arabic name must be written in Arabic "
                      "letters (got 'Wizarat')", "write the entity's name in Arabic script", code="value_error"),
                warning(Location("requests/water.yaml", 11, 7), "file name 'w.yaml' does not match slug 'water'",
                        code="file-name")]
    lines = report_lines(problems)
    assert lines[0] == "requests/water.yaml:14:7: error / خطأ"
    assert lines[1].strip().startswith("The Arabic name must be written in Arabic letters")
    assert ARABIC.search(lines[2])
    assert "details: 'ar': the Arabic name" in lines[3] and "fix: write the entity's name" in lines[3]
    assert lines[4] == "requests/water.yaml:11:7: warning / ملاحظة"
    assert lines[-2] == "1 problem(s) to fix before the request can be approved, 1 note(s)."
    assert ARABIC.search(lines[-1])


def test_a_clean_request_says_so_in_both_languages():
    assert report_lines([]) == ["The request is complete and can be sent for approval.",
                                "الطلب مكتمل ويمكن إرساله للموافقة."]
