"""The complete example in tenants/README.md is a valid request, and the README lists every field."""

from __future__ import annotations

import re
from pathlib import Path

from dcctl.tenants import load_tenants
from dcctl.tenants.model import DirectorateSpec, TenantSpec

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "tenants" / "README.md"


def test_the_readme_example_validates_beside_the_samples(tmp_path, monkeypatch):
    example = re.search(r"## A complete example\s+```yaml\n(.*?)```", README.read_text(), re.S).group(1)
    target = tmp_path / "tenants"
    target.mkdir()
    for name in ("_policy.yaml", "secretariat.yaml"):
        (target / name).write_text((ROOT / "tenants" / name).read_text())
    (target / "health.yaml").write_text(example)
    monkeypatch.chdir(tmp_path)
    tenants, problems = load_tenants(Path("tenants"), ROOT / "inventory")
    assert problems == []
    assert tenants.tenants["health"].directorates[0].slug == "health-basra"


def test_every_field_of_the_request_is_documented():
    text = README.read_text()
    for model in (TenantSpec, DirectorateSpec):
        for field in model.model_fields:
            assert f"`{field}`" in text, field
