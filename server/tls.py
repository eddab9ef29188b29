"""HTTPS for the kelurahan LAN: a certificate the laptop makes for itself.

Phones need a secure context for the service worker (offline reload). The laptop
has no public name, so no public certificate: it makes a small private CA and a
server certificate signed by it for 127.0.0.1, localhost, the hostname and every
LAN address it has now. Phones trust the CA once (after comparing its SHA-256
fingerprint, docs/field-app.md); when DHCP gives the laptop a new address in the
same network, only the server certificate is re-issued and phones keep working.

What a phone trusts is kept small (issue 13 item 4):

* the CA carries a critical **NameConstraints** extension: it can only vouch for
  the laptop's own names (hostname, ``localhost``) and addresses (loopback, and the
  /24 — /64 for IPv6 — around each LAN address it had when made). A phone that
  installed it still refuses a certificate from it for any other site;
* **short lifetimes**: the CA lives ``CA_DAYS`` (a new one, to install again, is
  made ``CA_RENEW_BEFORE`` ahead of expiry or when the laptop joins another
  network), the server certificate ``SERVER_DAYS`` and is renewed automatically
  (at start and daily while serving);
* the **CA key is kept apart** from the data folder (the platform's per-user config
  folder, or the ``tls_ca_dir`` setting), owner-only: a copied data folder or a
  backup holds the serving key and the CA certificate, never the CA key.

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

from berjasa.logs import get_logger
from berjasa.paths import open_private

log = get_logger("berjasa.server")

CA_DAYS = 365
CA_RENEW_BEFORE = dt.timedelta(days=30)
SERVER_DAYS = 30
RENEW_BEFORE = dt.timedelta(days=7)  # server certificate
CA_KEY_FILE = "ca-key.pem"


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the certificate material and the CA's fingerprint."""

    ca_cert: Path
    server_cert: Path  # server certificate followed by the CA (the chain phones get)
    server_key: Path
    fingerprint: str  # SHA-256 of the CA certificate, AA:BB:... as Android shows it
    names: tuple[str, ...]
    ca_expires: str = ""  # YYYY-MM-DD: install the new CA on phones before this day


def local_names() -> list[str]:
    """127.0.0.1, ::1, localhost, the hostname, the addresses it resolves to and
    the address of the interface with the default route."""
    names = ["127.0.0.1", "::1", "localhost"]
    host = socket.gethostname()
    if host:
        dns = _dns_form(host)
        if dns:
            names.append(dns)
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


def _dns_form(host: str) -> str | None:
    """A host name as a certificate can hold it (ASCII: IDNA for a Windows computer
    named with non-ASCII letters, "LAPTOP-NURHAYATİ"), or None when it has none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            dns = _dns_form(name)
            if dns:
                entries.append(x509.DNSName(dns))
    return x509.SubjectAlternativeName(entries)


def _covered(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName))


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by the owner only (best effort on Windows)."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _permitted(names: list[str]) -> x509.NameConstraints:
    """The names and networks the CA may vouch for: exactly the DNS names, the
    loopback addresses, and the /24 (IPv6: /64) around every other address."""
    subtrees: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            subtrees.append(x509.DNSName(name))
            continue
        if address.is_loopback:
            prefix = address.max_prefixlen
        else:
            prefix = 24 if address.version == 4 else 64
        subtrees.append(x509.IPAddress(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))
    return x509.NameConstraints(permitted_subtrees=list(dict.fromkeys(subtrees)),
                                excluded_subtrees=None)


def _within(ca_cert: x509.Certificate, names: list[str]) -> bool:
    """Whether the CA's name constraints allow every one of ``names``."""
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return False  # an old, unconstrained CA: replace it
    dns = {str(g.value) for g in constraints.permitted_subtrees if isinstance(g, x509.DNSName)}
    nets = [g.value for g in constraints.permitted_subtrees if isinstance(g, x509.IPAddress)]
    for name in names:
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            if name not in dns:
                return False
            continue
        if not any(address.version == net.version and address in net for net in nets):
            return False
    return True


def default_ca_dir(data_dir: Path) -> Path:
    """Where the CA key is kept by default: the user's config folder (not the data
    folder), one subfolder per data folder."""
    import hashlib

    import platformdirs

    data = Path(data_dir).resolve()
    tag = hashlib.sha256(str(data).encode()).hexdigest()[:16]
    config = Path(platformdirs.user_config_dir("berjasa", appauthor=False))
    if data == config.resolve() or config.resolve() in data.parents:
        # Windows: the config folder is the default data folder itself (%LOCALAPPDATA%\berjasa),
        # so the key would be backed up and carried with the data: a folder beside it
        return config.parent / "berjasa-tls-ca" / tag
    return config / "tls-ca" / tag


def _make_ca(now: dt.datetime, label: str, names: list[str]):
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
            .add_extension(_permitted(names), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server(ca_key, ca_cert: x509.Certificate, names: list[str], now: dt.datetime):
    key = _new_key()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
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
                        now: dt.datetime | None = None, ca_dir: Path | None = None) -> TlsFiles:
    """Reuse the certificates in ``data_dir/tls`` while valid and covering every
    current name; otherwise make what is missing (the CA only when it is: expiring,
    its key gone, or a name outside its constraints). The CA key lives in
    ``ca_dir`` (default :func:`default_ca_dir`), never in the data folder."""
    now = now or dt.datetime.now(dt.timezone.utc)
    names = names or local_names()
    folder = Path(data_dir) / "tls"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_folder = Path(ca_dir) if ca_dir else default_ca_dir(data_dir)
    key_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_path, ca_key_path = folder / "ca.pem", key_folder / CA_KEY_FILE
    cert_path, key_path = folder / "server.pem", folder / "server-key.pem"
    old_key_path = folder / CA_KEY_FILE  # before issue 13 the CA key lay here
    if old_key_path.exists():
        if not ca_key_path.exists():
            _write_private(ca_key_path, old_key_path.read_bytes())
        old_key_path.unlink()

    ca_cert = ca_key = None
    if ca_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        if (ca_cert.not_valid_after_utc - CA_RENEW_BEFORE < now
                or ca_key.public_key() != ca_cert.public_key() or not _within(ca_cert, names)):
            ca_cert = ca_key = None
    if ca_cert is None:
        ca_key, ca_cert = _make_ca(now, socket.gethostname() or "kelurahan", names)
        _write_private(ca_key_path, _pem_key(ca_key))
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_path.unlink(missing_ok=True)  # signed by the old CA

    server_cert = None
    if cert_path.exists() and key_path.exists():
        server_cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if (server_cert.not_valid_after_utc - RENEW_BEFORE < now
                or not set(names) <= _covered(server_cert)
                or server_cert.issuer != ca_cert.subject
                or server_cert.not_valid_after_utc > ca_cert.not_valid_after_utc):
            server_cert = None
    if server_cert is None:
        key, server_cert = _make_server(ca_key, ca_cert, names, now)
        _write_private(key_path, _pem_key(key))
        cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM)
                              + ca_cert.public_bytes(serialization.Encoding.PEM))
    return TlsFiles(ca_path, cert_path, key_path, fingerprint(ca_cert),
                    tuple(sorted(_covered(server_cert))),
                    ca_cert.not_valid_after_utc.date().isoformat())


def serve_https(app, host: str, port: int, threads: int, files: TlsFiles,
                renew=None) -> None:
    """Serve ``app`` over TLS with cheroot until Ctrl+C (or the process ends).
    ``renew()`` (daily) re-issues the server certificate when due; new connections
    then get the new one without a restart."""
    import threading

    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    server = wsgi.Server((host, port), app, numthreads=threads, server_name="berjasa")
    server.ssl_adapter = BuiltinSSLAdapter(str(files.server_cert), str(files.server_key))
    stop = threading.Event()

    def renewing() -> None:
        while not stop.wait(24 * 3600):
            try:
                fresh = renew()
                server.ssl_adapter.context.load_cert_chain(str(fresh.server_cert),
                                                           str(fresh.server_key))
            except Exception:
                log.warning("the HTTPS certificate could not be renewed; serving the current one",
                            exc_info=True)

    if renew is not None:
        threading.Thread(target=renewing, daemon=True, name="tls-renew").start()
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.stop()


def describe(files: TlsFiles, host: str, port: int) -> list[str]:
    """What the operator needs to read out to enumerators: URLs and the fingerprint."""
    wildcard = host in ("0.0.0.0", "::", "")
    shown = [n for n in files.names if wildcard or n == host] or [host]
    urls = [f"https://{'[' + n + ']' if ':' in n else n}:{port}/app/" for n in shown]
    return ([f"HTTPS aktif. Alamat aplikasi petugas: {', '.join(urls)}",
             f"Sertifikat CA untuk HP: {files.ca_cert} (unduh juga di http(s)://ALAMAT:{port}/app/berjasa-ca.crt)",
             f"Sidik jari SHA-256 CA (cocokkan di HP): {files.fingerprint}",
             (f"CA berlaku sampai {files.ca_expires}; sebulan sebelumnya laptop membuat CA baru "
              "yang harus dipasang ulang di HP.")]
            + ([] if wildcard or host not in ("127.0.0.1", "localhost") else
               ["Catatan: hanya laptop ini yang bisa membuka; untuk HP jalankan dengan --host 0.0.0.0"]))
