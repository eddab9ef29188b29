"""The `serve --https` CA (issue 13 item 4): name-constrained to the laptop's own
names and networks, short-lived with renewal, its key kept out of the data folder."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from server import tls

NAMES = ["127.0.0.1", "::1", "localhost", "laptop-kel", "192.168.1.20"]


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def _verify(ca, leaf, name: str, now: dt.datetime | None = None):
    builder = PolicyBuilder().store(Store([ca])).time(now or dt.datetime.now(dt.timezone.utc))
    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
        from cryptography.x509.verification import IPAddress as VIP

        verifier = builder.build_server_verifier(VIP(subject.value))
    except ValueError:
        from cryptography.x509.verification import DNSName as VDNS

        verifier = builder.build_server_verifier(VDNS(name))
    return verifier.verify(leaf, [])


def _forge(ca_key, ca, name: str):
    """What a stolen CA key could issue: a certificate for another site."""
    key = tls._new_key()
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=5))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(tls._san([name]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))


def test_ca_vouches_only_for_the_laptops_names_and_networks(tmp_path):
    files = tls.ensure_certificates(tmp_path / "data", NAMES, ca_dir=tmp_path / "ca")
    ca = _load(files.ca_cert)
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    leaf = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    for name in ("192.168.1.20", "127.0.0.1", "localhost", "laptop-kel"):
        _verify(ca, leaf, name)
    ca_key = tls.serialization.load_pem_private_key((tmp_path / "ca" / "ca-key.pem").read_bytes(),
                                                   None)
    for other in ("www.google.com", "bpjsketenagakerjaan.go.id", "8.8.8.8", "10.0.0.1"):
        with pytest.raises(VerificationError):
            _verify(ca, _forge(ca_key, ca, other), other)
    _verify(ca, _forge(ca_key, ca, "192.168.1.77"), "192.168.1.77")  # same LAN: allowed


def test_ca_key_is_not_in_the_data_folder_and_an_old_one_is_moved_out(tmp_path):
    data = tmp_path / "data"
    files = tls.ensure_certificates(data, NAMES, ca_dir=tmp_path / "ca")
    in_folder = [p for p in data.rglob("*") if p.is_file()]
    ca = _load(files.ca_cert)
    for path in in_folder:
        text = path.read_bytes()
        if b"PRIVATE KEY" in text:
            key = tls.serialization.load_pem_private_key(text, None)
            assert key.public_key() != ca.public_key(), path  # only the serving key
    assert (tmp_path / "ca" / "ca-key.pem").exists()
    if os.name == "posix":
        assert (tmp_path / "ca" / "ca-key.pem").stat().st_mode & 0o077 == 0
    # a folder from before: the CA key lay in data/tls; it is moved out, CA kept
    old_key = (tmp_path / "ca" / "ca-key.pem").read_bytes()
    (tmp_path / "ca" / "ca-key.pem").unlink()
    (data / "tls" / "ca-key.pem").write_bytes(old_key)
    again = tls.ensure_certificates(data, NAMES, ca_dir=tmp_path / "ca")
    assert again.fingerprint == files.fingerprint
    assert not (data / "tls" / "ca-key.pem").exists()
    assert (tmp_path / "ca" / "ca-key.pem").read_bytes() == old_key


def test_short_lifetimes_and_renewal(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    files = tls.ensure_certificates(tmp_path / "data", NAMES, now=now, ca_dir=tmp_path / "ca")
    ca, leaf = _load(files.ca_cert), x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    assert ca.not_valid_after_utc - now <= dt.timedelta(days=366)
    assert leaf.not_valid_after_utc - now <= dt.timedelta(days=31)
    first_pem = files.server_cert.read_bytes()
    # server certificate renewed under the same CA before it expires
    later = now + dt.timedelta(days=tls.SERVER_DAYS - 3)
    renewed = tls.ensure_certificates(tmp_path / "data", NAMES, now=later, ca_dir=tmp_path / "ca")
    assert renewed.fingerprint == files.fingerprint
    assert renewed.server_cert.read_bytes() != first_pem
    # a month before the CA ends: a new CA (phones install it again)
    late = now + dt.timedelta(days=tls.CA_DAYS - 20)
    replaced = tls.ensure_certificates(tmp_path / "data", NAMES, now=late, ca_dir=tmp_path / "ca")
    assert replaced.fingerprint != files.fingerprint


def test_another_network_makes_a_new_ca(tmp_path):
    first = tls.ensure_certificates(tmp_path / "data", NAMES, ca_dir=tmp_path / "ca")
    moved = tls.ensure_certificates(tmp_path / "data", ["127.0.0.1", "localhost", "10.5.0.9"],
                                    ca_dir=tmp_path / "ca")
    assert moved.fingerprint != first.fingerprint
    assert "10.5.0.9" in moved.names


def test_the_ca_key_stays_out_of_a_data_folder_that_is_the_config_folder(tmp_path, monkeypatch):
    """On Windows platformdirs gives one folder for config and data
    (%LOCALAPPDATA%\\berjasa): the CA key went inside the data folder, and with every
    backup. It goes beside it then; elsewhere it stays where it always was."""
    import platformdirs

    from server.tls import default_ca_dir

    config = tmp_path / "Local" / "berjasa"
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: str(config))
    for data in (config, config / "kelurahan-1"):
        chosen = default_ca_dir(data)
        assert config.resolve() not in chosen.resolve().parents and chosen.parent.name == "berjasa-tls-ca"
    elsewhere = default_ca_dir(tmp_path / "share" / "berjasa")
    assert elsewhere.parent == config / "tls-ca"


def test_a_computer_named_with_non_ascii_letters_gets_its_certificate(tmp_path, monkeypatch):
    """A Windows computer may be named "LAPTOP-NURHAYATİ": x509 DNS names are ASCII,
    and serve --https stopped with a ValueError. The name goes in its IDNA form."""
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "LAPTOP-NURHAYATİ")
    names = tls.local_names()
    files = tls.ensure_certificates(tmp_path / "data", names, ca_dir=tmp_path / "ca")
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    dns = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.DNSName)
    assert "LAPTOP-NURHAYATİ".encode("idna").decode() in dns and all(n.isascii() for n in dns)
    again = tls.ensure_certificates(tmp_path / "data", names, ca_dir=tmp_path / "ca")
    assert again.server_cert.read_bytes() == files.server_cert.read_bytes()  # covered: kept
