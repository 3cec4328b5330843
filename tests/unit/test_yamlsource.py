"""YAML loading keeps the position of every value and refuses silent surprises."""

from dcctl.core.yamlsource import parse_yaml


def test_positions_point_at_values_and_keys():
    doc, problems = parse_yaml("racks:\n  - name: r1\n    site: s1\n", "f.yaml")
    assert problems == []
    assert str(doc.at(("racks", 0, "site"))) == "f.yaml:3:11"
    assert str(doc.at(("racks", 0, "site"), key=True)) == "f.yaml:3:5"


def test_unknown_paths_fall_back_to_the_nearest_parent():
    doc, _ = parse_yaml("racks:\n  - name: r1\n", "f.yaml")
    assert str(doc.at(("racks", 0, "missing"))) == "f.yaml:2:5"


def test_duplicate_keys_are_reported_not_collapsed():
    doc, problems = parse_yaml("a: 1\na: 2\n", "f.yaml")
    assert [str(p) for p in problems] == [
        "f.yaml:2:1: error: duplicate key 'a' (it is already set at line 1; keep one of them)"]
    assert doc.data == {"a": 1}


def test_scalars_keep_their_yaml_types():
    doc, _ = parse_yaml("i: 4\nb: true\nn: null\nf: 1.5\ns: '4'\n", "f.yaml")
    assert doc.data == {"i": 4, "b": True, "n": None, "f": 1.5, "s": "4"}


def test_merge_keys_work():
    doc, problems = parse_yaml("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n", "f.yaml")
    assert problems == [] and doc.data["item"] == {"x": 1, "y": 2}


# --- the fast path (rapidyaml) must give exactly what PyYAML gives --------------------
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from dcctl.core import yamlsource  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [p.read_text(errors="replace") for p in sorted((ROOT / "inventory").rglob("*.yaml"))] + [
    p.read_text(errors="replace") for p in sorted((ROOT / "tests/unit/inventory_corpus").rglob("*.yaml"))]


@pytest.mark.parametrize("text", TEXTS + [
    "a: yes\n", "a: 0x1f\n", "a: &x 1\nb: *x\n", "a: ~\n", "a: 1_000\n", "mac: 52:54:00:00:00:01\n",
    "when: 2026-01-01\n", "a: 1e3\n", "a: 1.0e+3\n", "a: [on, off]\n", "a: !!str 5\n", "a: 'it''s'\n",
    "a: {b: NULL}\n", "x: 010\n", "x: -.inf\n", "a: |\n  two\n  lines\n", "a: 'yes'\n",
])
def test_fast_path_agrees_with_pyyaml(text):
    slow, slow_problems = yamlsource.parse_with_positions(text, "f.yaml")
    fast = yamlsource._fast_load(text)
    if fast is not None:
        assert slow is not None and not slow_problems
        assert fast == slow.data


@pytest.mark.parametrize("text", ["a: yes\n", "a: &x 1\nb: *x\n", "a: 1\na: 2\n", "mac: 52:54:00:00:00:01\n",
                                  "a: ~\n", "", "a: 1\n---\nb: 2\n", "a: [1\n"])
def test_text_where_the_parsers_could_differ_takes_the_slow_path(text):
    assert yamlsource._fast_load(text) is None


def test_positions_are_computed_lazily_on_the_fast_path():
    doc, problems = yamlsource.parse_yaml("racks:\n  - name: r1\n    site: s1\n", "f.yaml")
    assert problems == [] and doc.text is not None
    assert str(doc.at(("racks", 0, "site"))) == "f.yaml:3:11"
    assert doc.text is None
