"""Probe verdicts, service state from endpoint results, the metrics they become, and what the lab
serves for a catalogue: the pure parts of the e-service probes."""

from __future__ import annotations

import socket
import ssl

from dcctl.lab.services.eservices import listeners
from dcctl.monitoring.collectors.services import service_families
from dcctl.services.model import EndpointResult, Service, ServiceResult, critical_down
from dcctl.services.probe import describe_error, judge, probe_services


def service(slug="verify", criticality="critical", endpoints=("https://127.0.30.2:8443/verify/",), **kw) -> Service:
    protocol = endpoints[0].split("://")[0]
    return Service(slug=slug, tenant="national-data-centre", tenant_name="National Data Centre Services",
                   name_en="Certificate verification", name_ar="التحقق من الشهادات", directorate="",
                   category="certificates", criticality=criticality, protocol=protocol,
                   endpoints=tuple(endpoints), **kw)


def test_an_answer_must_have_an_expected_status_and_the_expected_text():
    s = service(expect_status=(200, 204), expect_contains="Certificate verification")
    assert judge(s, 200, b"<h1>Certificate verification</h1>") == ""
    assert judge(s, 204, b"... Certificate verification ...") == ""
    assert judge(s, 500, b"Certificate verification") == "HTTP 500, expected 200 or 204"
    assert judge(s, 200, b"maintenance page") == "the answer does not contain 'Certificate verification'"
    assert judge(service(), 301, b"") == "HTTP 301, expected 200"  # redirects are not followed


def test_failures_read_as_what_an_operator_would_say():
    expired = ssl.SSLCertVerificationError(1, "certificate verify failed")
    expired.verify_message = "certificate has expired"
    assert describe_error(expired, 5) == "TLS certificate not trusted: certificate has expired"
    assert describe_error(TimeoutError("timed out"), 2.5) == "no answer within 2.5 s"
    assert describe_error(socket.timeout(), 5.0) == "no answer within 5 s"
    assert describe_error(ConnectionRefusedError(111, "Connection refused"), 5) == "connection refused"
    assert describe_error(socket.gaierror(-2, "Name or service not known"), 5) == \
        "name does not resolve (Name or service not known)"


def test_a_service_is_up_only_when_every_endpoint_is():
    s = service(endpoints=("https://127.0.30.2:8443/", "https://127.0.30.3:8443/"))
    both = ServiceResult(s, (EndpointResult(s.endpoints[0], True, 0.1, 200, cert_not_after=2_000_000.0),
                             EndpointResult(s.endpoints[1], True, 0.4, 200, cert_not_after=1_000_000.0)), 0.0)
    assert both.up and both.seconds == 0.4 and both.cert_not_after == 1_000_000.0  # the soonest expiry
    one_down = ServiceResult(s, (both.endpoints[0], EndpointResult(s.endpoints[1], False, 5.0, error="no answer")))
    assert not one_down.up and one_down.errors == ["https://127.0.30.3:8443/: no answer"]
    assert not ServiceResult(s, ()).up  # never probed is not up


def test_only_critical_services_down_make_the_check_fail():
    low = service("appointments", "low")
    results = [ServiceResult(service(), (EndpointResult("u", True, 0.1),)),
               ServiceResult(low, (EndpointResult("u", False, 0.1, error="x"),))]
    assert critical_down(results) == []
    results.append(ServiceResult(service("gateway"), (EndpointResult("u", False, 0.1, error="x"),)))
    assert [r.service.slug for r in critical_down(results)] == ["gateway"]


def test_results_as_json_give_days_left_from_the_check_time():
    s = service()
    result = ServiceResult(s, (EndpointResult(s.endpoints[0], True, 0.01234, 200, cert_not_after=86400 * 10),),
                           checked_at=86400 * 7)
    data = result.as_dict()
    assert data["cert_days_left"] == 3.0 and data["endpoints"][0]["cert_days_left"] == 3.0
    assert data["seconds"] == 0.0123 and data["up"] is True


def test_metrics_carry_service_tenant_category_and_criticality_and_skip_what_was_not_seen():
    s = service()
    tcp = service("edi", "medium", endpoints=("tcp://127.0.30.5:7001",))
    families = {f.name: f for f in service_families([
        ServiceResult(s, (EndpointResult(s.endpoints[0], False, 0.2, 500, "HTTP 500, expected 200", 1e9),)),
        ServiceResult(tcp, (EndpointResult(tcp.endpoints[0], True, 0.001),)),
    ])}
    (up_verify, up_edi) = families["dcctl_service_up"].samples
    assert up_verify.labels == {"service": "verify", "tenant": "national-data-centre", "category": "certificates",
                                "criticality": "critical"} and up_verify.value == 0
    assert up_edi.value == 1
    (status,) = families["dcctl_service_http_status"].samples  # the tcp service has none
    assert status.value == 500 and status.labels["endpoint"] == "https://127.0.30.2:8443/verify/"
    (expiry,) = families["dcctl_service_certificate_expiry_timestamp_seconds"].samples
    assert expiry.value == 1e9
    info = families["dcctl_service_info"].samples[0]
    assert info.labels["name_ar"] == "التحقق من الشهادات" and info.labels["protocol"] == "https"


def test_probing_nothing_returns_nothing():
    assert probe_services([]) == []


def test_the_lab_serves_each_loopback_endpoint_once_with_the_expected_answer_and_nothing_else():
    catalogue = [
        service("verify", endpoints=("https://127.0.30.2:8443/verify/",), expect_contains="Certificate verification"),
        service("portal", endpoints=("https://127.0.30.2:8443/", "https://127.0.30.3:8443/"), expect_status=(204,)),
        service("edi", endpoints=("tcp://127.0.30.5:7001",)),
        service("outside", endpoints=("https://eservices.gov.iq/", "https://10.1.2.3/")),
    ]
    served = listeners(catalogue)
    assert [(e["scheme"], e["host"], e["port"]) for e in served] == [
        ("https", "127.0.30.2", 8443), ("https", "127.0.30.3", 8443), ("tcp", "127.0.30.5", 7001)]
    routes = served[0]["routes"]
    assert set(routes) == {"/verify/", "/"}
    assert routes["/verify/"]["status"] == 200 and "Certificate verification" in routes["/verify/"]["body"]
    assert routes["/"]["status"] == 204
