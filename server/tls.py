"""HTTPS for the kelurahan LAN: a certificate the laptop makes for itself.

Phones need a secure context for the service worker (offline reload). The laptop
has no public name, so no public certificate: it makes a small private CA once
(10 years) and a server certificate signed by it for 127.0.0.1, localhost, the
hostname and every LAN address it has now. Phones trust the CA once (after
comparing its SHA-256 fingerprint, docs/field-app.md); when DHCP gives the laptop
a new address, only the server certificate is re-issued and phones keep working.

Waitress does not speak TLS (its maintainers point to a reverse proxy), so
``--https`` serves through cheroot, a pure-Python threaded WSGI server with the
standard ``ssl`` module: no proxy to install, and it runs on Windows.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the certificate material and the CA's fingerprint."""

    ca_cert: Path
    server_cert: Path  # server certificate followed by the CA (the chain phones get)
    server_key: Path
    fingerprint: str  # SHA-256 of the CA certificate, AA:BB:... as Android shows it
    names: tuple[str, ...]


def local_names() -> list[str]:
    """127.0.0.1, ::1, localhost, the hostname, the addresses it resolves to and
    the address of the interface with the default route."""
    names = ["127.0.0.1", "::1", "localhost"]
    host = socket.gethostname()
    if host:
        names.append(host)
        try:
            for info in socket.getaddrinfo(host, None):
                address = info[4][0].split("%")[0]  # drop an IPv6 zone id
                if not ipaddress.ip_address(address).is_link_local:
                    names.append(address)
        except (socket.gaierror, UnicodeError, ValueError):
            pass  # no resolver for our own name: 127.0.0.1 still works
    outgoing = _outgoing_address()
    if outgoing:
        names.append(outgoing)
    return list(dict.fromkeys(names))


def _outgoing_address() -> str | None:
    """The address of the interface with the default route (Windows often does not
    resolve its own hostname to it). A UDP connect sends nothing."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith(("0.", "127.")) else address


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _covered(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName))


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by the owner only (best effort on Windows)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(now: dt.datetime, label: str):
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "berjasa"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"berjasa CA {label}")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server(ca_key, ca_cert: x509.Certificate, names: list[str], now: dt.datetime):
    key = _new_key()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_san(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as colon-separated hex pairs."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def ensure_certificates(data_dir: Path, names: list[str] | None = None,
                        now: dt.datetime | None = None) -> TlsFiles:
    """Reuse the certificates in ``data_dir/tls`` while valid and covering every
    current name; otherwise make what is missing (the CA only when it is)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    names = names or local_names()
    folder = Path(data_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, ca_key_path = folder / "ca.pem", folder / "ca-key.pem"
    cert_path, key_path = folder / "server.pem", folder / "server-key.pem"

    ca_cert = ca_key = None
    if ca_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        if ca_cert.not_valid_after_utc - RENEW_BEFORE < now:
            ca_cert = ca_key = None
    if ca_cert is None:
        ca_key, ca_cert = _make_ca(now, socket.gethostname() or "kelurahan")
        _write_private(ca_key_path, _pem_key(ca_key))
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_path.unlink(missing_ok=True)  # signed by the old CA

    server_cert = None
    if cert_path.exists() and key_path.exists():
        server_cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if (server_cert.not_valid_after_utc - RENEW_BEFORE < now
                or not set(names) <= _covered(server_cert)
                or server_cert.issuer != ca_cert.subject):
            server_cert = None
    if server_cert is None:
        key, server_cert = _make_server(ca_key, ca_cert, names, now)
        _write_private(key_path, _pem_key(key))
        cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM)
                              + ca_cert.public_bytes(serialization.Encoding.PEM))
    return TlsFiles(ca_path, cert_path, key_path, fingerprint(ca_cert),
                    tuple(sorted(_covered(server_cert))))


def serve_https(app, host: str, port: int, threads: int, files: TlsFiles) -> None:
    """Serve ``app`` over TLS with cheroot until Ctrl+C (or the process ends)."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    server = wsgi.Server((host, port), app, numthreads=threads, server_name="berjasa")
    server.ssl_adapter = BuiltinSSLAdapter(str(files.server_cert), str(files.server_key))
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def describe(files: TlsFiles, host: str, port: int) -> list[str]:
    """What the operator needs to read out to enumerators: URLs and the fingerprint."""
    wildcard = host in ("0.0.0.0", "::", "")
    shown = [n for n in files.names if wildcard or n == host] or [host]
    urls = [f"https://{'[' + n + ']' if ':' in n else n}:{port}/app/" for n in shown]
    return ([f"HTTPS aktif. Alamat aplikasi petugas: {', '.join(urls)}",
             f"Sertifikat CA untuk HP: {files.ca_cert} (unduh juga di http(s)://ALAMAT:{port}/app/berjasa-ca.crt)",
             f"Sidik jari SHA-256 CA (cocokkan di HP): {files.fingerprint}"]
            + ([] if wildcard or host not in ("127.0.0.1", "localhost") else
               ["Catatan: hanya laptop ini yang bisa membuka; untuk HP jalankan dengan --host 0.0.0.0"]))
