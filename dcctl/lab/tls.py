"""The lab's own certificate authority, and server certificates it signs.

Lab services that speak HTTPS (the Redfish BMC emulator) present a certificate
from this CA, so clients (Ironic, sushy, dcctl) verify TLS for real against
``ca.pem`` instead of turning verification off. Everything is generated once in
the lab's state dir and reused while it is still valid and covers the names asked for.

Services prepare concurrently (the BMC emulator and the e-services both want a
certificate on a fresh lab), so every read-check-write here holds a file lock on
the directory and files are replaced atomically: otherwise two callers could each
create a CA and one server would present a certificate from a CA that ``ca.pem``
no longer holds.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=825)
_RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold ``directory/.lock`` exclusively (threads and processes alike: flock is per open file)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the old file or the new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_pair(pair: CertPair, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    _replace(pair.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()), 0o600)
    _replace(pair.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _still_valid(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - _RENEW_BEFORE > _now()


def ensure_ca(directory: Path, name: str = "dcctl lab CA") -> CertPair:
    """The lab CA (``ca.pem`` / ``ca-key.pem`` in ``directory``), created when missing or expiring."""
    with _locked(directory):
        return _ensure_ca(directory, name)


def _ensure_ca(directory: Path, name: str) -> CertPair:
    pair = CertPair(directory / "ca.pem", directory / "ca-key.pem")
    cert = _load_cert(pair.cert)
    if cert is not None and pair.key.exists() and _still_valid(cert):
        return pair
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_pair(pair, key, cert)
    return pair


def _sans(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)} | set(
        ext.get_values_for_type(x509.DNSName))


def issue_server_cert(ca: CertPair, directory: Path, name: str, *, ips: list[str],
                      dns: list[str] = ()) -> CertPair:
    """A server certificate ``<name>.pem``/``<name>-key.pem`` signed by ``ca`` for ``ips`` and ``dns``.

    Reused when it still covers exactly those names, was signed by this CA and is not expiring.
    """
    with _locked(directory):
        return _issue_server_cert(ca, directory, name, ips=ips, dns=dns)


def _issue_server_cert(ca: CertPair, directory: Path, name: str, *, ips: list[str],
                       dns: list[str]) -> CertPair:
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    wanted = {str(ipaddress.ip_address(ip)) for ip in ips} | set(dns)
    ca_cert = _load_cert(ca.cert)
    if ca_cert is None:
        raise FileNotFoundError(f"lab CA certificate missing: {ca.cert}")
    cert = _load_cert(pair.cert)
    if (cert is not None and pair.key.exists() and _still_valid(cert) and _sans(cert) == wanted
            and cert.issuer == ca_cert.subject):
        try:
            ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                        ec.ECDSA(cert.signature_hash_algorithm))
            return pair
        except Exception:  # noqa: BLE001 - signed by an older CA: issue a new one
            pass
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    alt_names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    alt_names += [x509.DNSName(d) for d in dns]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                     content_commitment=False, data_encipherment=False,
                                     key_agreement=True, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_pair(pair, key, cert)
    return pair
