"""The lab CA: one CA however many services prepare at once, and every server certificate verifies against it."""

from __future__ import annotations

import multiprocessing
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from dcctl.lab import tls


def _prepare(directory: str, name: str) -> None:
    """What a lab service's prepare does: the CA, then its own certificate."""
    ca = tls.ensure_ca(Path(directory))
    tls.issue_server_cert(ca, Path(directory), name, ips=["127.0.0.1"], dns=["localhost"])


def _signed_by_ca(directory: Path, name: str) -> bool:
    ca = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((directory / f"{name}.pem").read_bytes())
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except Exception:  # noqa: BLE001 - InvalidSignature: the race this test is about
        return False
    return True


def test_services_preparing_at_once_on_a_fresh_lab_share_one_ca(tmp_path: Path) -> None:
    names = [f"svc{i}" for i in range(12)]
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(lambda n: _prepare(str(tmp_path), n), names))
    assert all(_signed_by_ca(tmp_path, n) for n in names)


def test_processes_preparing_at_once_share_one_ca(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_prepare, args=(str(tmp_path), f"proc{i}")) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert all(_signed_by_ca(tmp_path, f"proc{i}") for i in range(4))


def test_a_server_certificate_loads_into_an_ssl_context_that_trusts_only_the_ca(tmp_path: Path) -> None:
    _prepare(str(tmp_path), "bmc")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "bmc.pem", tmp_path / "bmc-key.pem")
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "bmc-key.pem").stat().st_mode & 0o777 == 0o600


def test_certificates_are_reused_while_valid(tmp_path: Path) -> None:
    _prepare(str(tmp_path), "bmc")
    before = ((tmp_path / "ca.pem").read_bytes(), (tmp_path / "bmc.pem").read_bytes())
    _prepare(str(tmp_path), "bmc")
    assert ((tmp_path / "ca.pem").read_bytes(), (tmp_path / "bmc.pem").read_bytes()) == before
