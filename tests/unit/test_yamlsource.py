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
