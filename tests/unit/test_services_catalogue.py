"""The e-service catalogue in tenant requests: what it accepts, what it refuses and where, and
that tenant plans ignore it."""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dcctl.services import load_catalogue
from dcctl.services.catalogue import select
from dcctl.tenants import load_tenants
from dcctl.tenants.model import PORTAL_CATEGORIES

ROOT = Path(__file__).resolve().parents[2]

TENANT = """\
slug: finance
name: {en: Ministry of Finance, ar: وزارة المالية}
kind: ministry
phase: 1
sites: [bgw-dc1]
classification: internal
contacts: [{name: IT, email: it@mof.gov.iq}]
directorates:
  - slug: finance-tax
    name: {en: General Commission for Taxes, ar: الهيئة العامة للضرائب}
    governorate: Baghdad
"""

GOOD = """\
services:
  - slug: tax-clearance
    name: {en: Tax Clearance, ar: براءة الذمة}
    directorate: finance-tax
    category: taxes
    criticality: high
    endpoints: [https://127.0.30.6:8443/tax/clearance, https://127.0.30.9:8443/tax/clearance]
    expect: {status: [200, 204], contains: Tax clearance}
    timeout: 2.5
  - slug: tax-edi
    name: {en: Tax EDI, ar: تبادل البيانات الضريبية}
    category: taxes
    criticality: low
    endpoints: [tcp://127.0.30.6:7001]
"""


def write(tmp_path: Path, services: str, name: str = "finance.yaml", tenant: str = TENANT) -> Path:
    directory = tmp_path / "tenants"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(tenant + services)
    return directory


def problems_of(tmp_path, monkeypatch, services: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    _catalogue, problems = load_catalogue(write(tmp_path, services).relative_to(tmp_path))
    return [str(p) for p in problems]


def test_a_catalogue_entry_becomes_a_service_with_its_tenant_and_defaults(tmp_path):
    services, problems = load_catalogue(write(tmp_path, GOOD))
    assert problems == []
    tax, edi = services
    assert (tax.slug, tax.tenant, tax.directorate, tax.protocol) == ("tax-clearance", "finance", "finance-tax", "https")
    assert tax.expect_status == (200, 204) and tax.expect_contains == "Tax clearance" and tax.timeout == 2.5
    assert tax.labels == {"service": "tax-clearance", "tenant": "finance", "category": "taxes",
                          "criticality": "high"}
    assert (edi.protocol, edi.directorate, edi.expect_status, edi.timeout) == ("tcp", "", (200,), 5.0)


def test_the_sample_catalogue_covers_several_tenants_and_serves_only_loopback(monkeypatch):
    monkeypatch.chdir(ROOT)
    services, problems = load_catalogue(Path("tenants"))
    assert [p for p in problems if p.severity.value == "error"] == []
    assert {"cbi-epayment", "national-data-centre", "justice", "border-ports"} <= {s.tenant for s in services}
    assert {"epayment-gateway", "certificate-verification", "real-estate-registration",
            "customs-receipts"} <= {s.slug for s in services}
    assert {"http", "https", "tcp"} == {s.protocol for s in services}
    for s in services:  # no probe of the sample may ever leave the machine
        for endpoint in s.endpoints:
            assert ipaddress.ip_address(urlsplit(endpoint).hostname).is_loopback, endpoint


def test_filters_choose_by_tenant_category_and_slug(tmp_path):
    services, _ = load_catalogue(write(tmp_path, GOOD))
    assert [s.slug for s in select(services, slugs=("tax-edi",))] == ["tax-edi"]
    assert select(services, tenants=("health",)) == []
    assert len(select(services, tenants=("finance",), categories=("taxes",))) == 2


@pytest.mark.parametrize("services, expected", [
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: high,\n"
     "     endpoints: [ftp://127.0.0.1/]}\n",
     r"finance.yaml:\d+:\d+: error: item 1: an endpoint URL starts with https://, http:// or tcp://.*\(write https://HOST\[:PORT\]/PATH"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: high,\n"
     "     endpoints: ['tcp://127.0.0.1']}\n",
     r"error: item 1: a tcp endpoint is written tcp://HOST:PORT"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, endpoints: [https://127.0.0.1/]}\n",
     r"finance.yaml:13:5: error: missing required key 'criticality'"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: urgent,\n"
     "     endpoints: [https://127.0.0.1/]}\n",
     r"error: 'criticality': must be one of 'critical', 'high', 'medium' or 'low' \(got 'urgent'\)"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: [https://127.0.0.1/], timeout: 0}\n",
     r"error: 'timeout'"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: [https://127.0.0.1/], expect: {status: 999}}\n",
     r"finance.yaml:14:\d+: error: 'status': must be at most 599"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxs, criticality: low,\n"
     "     endpoints: [https://127.0.0.1/]}\n",
     r"finance.yaml:13:\d+: error: unknown portal category 'taxs' \(did you mean 'taxes'\?"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, directorate: finance-taxes, category: taxes,\n"
     "     criticality: low, endpoints: [https://127.0.0.1/]}\n",
     r"error: 'finance-taxes' is not a directorate of finance \(did you mean 'finance-tax'\?"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: [https://127.0.0.1/, http://127.0.0.1/]}\n",
     r"finance.yaml:14:\d+: error: endpoint uses http:// but the first endpoint uses https"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low, protocol: tcp,\n"
     "     endpoints: [https://127.0.0.1/]}\n",
     r"error: endpoint uses https:// but protocol is tcp"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: ['tcp://127.0.0.1:7001'], expect: {status: 200}}\n",
     r"error: a tcp service has no status or content to expect"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: ['http://127.0.0.1/'], ca_bundle: ca.pem}\n",
     r"error: ca_bundle applies to https only, not http"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low,\n"
     "     endpoints: ['https://127.0.0.1/'], ca_bundle: missing/ca.pem}\n",
     r"warning: CA bundle missing/ca.pem does not exist on this machine"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: Xy}, category: taxes, criticality: low,\n"
     "     endpoints: ['https://127.0.0.1/']}\n",
     r"error: 'ar': the Arabic name must be written in Arabic letters"),
    ("services:\n  - {slug: x1, name: {en: Xy, ar: خدمة}, category: taxes, criticality: low, url: x,\n"
     "     endpoints: ['https://127.0.0.1/']}\n",
     r"error: unknown key 'url'"),
])
def test_a_bad_catalogue_entry_is_located_with_what_to_do(tmp_path, monkeypatch, services, expected):
    problems = problems_of(tmp_path, monkeypatch, services)
    assert any(re.search(expected, p) for p in problems), problems


def test_service_slugs_are_unique_across_every_request(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, GOOD)
    other = TENANT.replace("slug: finance\n", "slug: finance2\n", 1).replace("finance-tax", "finance2-tax")
    write(tmp_path, GOOD.replace("directorate: finance-tax", "directorate: finance2-tax"), "finance2.yaml", other)
    _services, problems = load_catalogue(Path("tenants"))
    assert [str(p) for p in problems if p.code == "duplicate-service"] == [
        "tenants/finance2.yaml:13:11: error: service 'tax-clearance' is already catalogued (it is declared at "
        "tenants/finance.yaml:13:11; every service needs its own slug (it names the service in alerts and dashboards))",
        "tenants/finance2.yaml:21:11: error: service 'tax-edi' is already catalogued (it is declared at "
        "tenants/finance.yaml:21:11; every service needs its own slug (it names the service in alerts and dashboards))",
    ]


def test_tenant_validate_reports_catalogue_mistakes_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, GOOD.replace("category: taxes", "category: tax", 1))
    _tenants, problems = load_tenants(Path("tenants"))
    assert [p.code for p in problems] == ["unknown-category"]


def test_every_portal_category_is_documented_for_the_ministries():
    text = (ROOT / "tenants" / "README.md").read_text()
    for category in PORTAL_CATEGORIES:
        assert f"`{category}`" in text, category


def test_a_tenant_whose_only_change_is_its_services_plans_nothing(tmp_path, monkeypatch):
    """Services are catalogue data: the cloud built without them needs no change once they are added."""
    from test_tenant_plan import applied, empty_cloud  # the plan tests' model of an applied cloud

    from dcctl.tenants.plan import plan_tenants

    without = tmp_path / "without" / "tenants"
    shutil.copytree(ROOT / "tenants", without)
    for path in without.glob("*.yaml"):
        path.write_text(path.read_text().split("\nservices:\n", 1)[0] + "\n")
    monkeypatch.chdir(tmp_path)
    bare, problems = load_tenants(Path("without/tenants"))
    assert not [p for p in problems if p.severity.value == "error"]
    assert not any(t.services for t in bare.tenants.values())
    cloud = applied(plan_tenants(bare, empty_cloud())[0], empty_cloud())
    _, bare_problems = plan_tenants(bare, cloud)

    monkeypatch.chdir(ROOT)
    with_services, _ = load_tenants(Path("tenants"))
    assert sum(len(t.services) for t in with_services.tenants.values()) >= 8
    plan, plan_problems = plan_tenants(with_services, cloud)
    assert plan.is_empty, plan.render(colour=False)
    assert [p.code for p in plan_problems] == [p.code for p in bare_problems]  # none about services
