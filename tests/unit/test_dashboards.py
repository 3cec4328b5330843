"""The dashboards in monitoring/dashboards are exactly what their generator writes."""

import importlib.util
import json
from pathlib import Path

DASHBOARDS = Path(__file__).resolve().parents[2] / "monitoring" / "dashboards"


def generator():
    spec = importlib.util.spec_from_file_location("generate", DASHBOARDS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dashboard_json_is_up_to_date_with_its_generator():
    for name, text in generator().render().items():
        assert (DASHBOARDS / name).read_text() == text, f"run python {DASHBOARDS / 'generate.py'}"


def test_every_panel_has_a_query_and_fits_the_grid():
    for path in DASHBOARDS.glob("*.json"):
        board = json.loads(path.read_text())
        assert board["uid"] and board["panels"]
        for p in board["panels"]:
            assert p["targets"][0]["expr"].strip()
            assert 0 <= p["gridPos"]["x"] and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
