"""server/tls.py and ``berjasa serve --https``: certificates made once and reused,
re-issued for a new address under the same CA, and a real HTTPS server that
Chromium treats as a secure context."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from server import tls
from tests.browser.chromium import NEEDS_CHROMIUM, launch

sys.path.insert(0, str(Path(__file__).parent))
from field_server import FieldServer


def test_certificates_are_made_once_and_reused(tmp_path):
    first = tls.ensure_certificates(tmp_path, ["127.0.0.1", "localhost", "192.168.1.20"])
    server_pem = first.server_cert.read_bytes()
    again = tls.ensure_certificates(tmp_path, ["127.0.0.1", "localhost", "192.168.1.20"])
    assert again.fingerprint == first.fingerprint
    assert again.server_cert.read_bytes() == server_pem
    assert {"127.0.0.1", "localhost", "192.168.1.20"} <= set(first.names)
    assert len(first.fingerprint.split(":")) == 32
    if os.name == "posix":
        assert first.server_key.stat().st_mode & 0o077 == 0


def test_new_address_reissues_server_certificate_under_the_same_ca(tmp_path):
    first = tls.ensure_certificates(tmp_path, ["127.0.0.1", "192.168.1.20"])
    old = first.server_cert.read_bytes()
    moved = tls.ensure_certificates(tmp_path, ["127.0.0.1", "192.168.1.77"])
    assert moved.fingerprint == first.fingerprint  # phones keep trusting the CA
    assert moved.server_cert.read_bytes() != old
    assert "192.168.1.77" in moved.names
    leaf = x509.load_pem_x509_certificate(moved.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(moved.ca_cert.read_bytes())
    leaf.verify_directly_issued_by(ca)


def test_expiring_server_certificate_is_renewed(tmp_path):
    first = tls.ensure_certificates(tmp_path, ["127.0.0.1"])
    old = first.server_cert.read_bytes()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=tls.SERVER_DAYS - 3)
    renewed = tls.ensure_certificates(tmp_path, ["127.0.0.1"], now=later)
    assert renewed.server_cert.read_bytes() != old
    assert renewed.fingerprint == first.fingerprint


def test_local_names_include_loopback():
    names = tls.local_names()
    assert names[:3] == ["127.0.0.1", "::1", "localhost"]


@pytest.mark.browser
@NEEDS_CHROMIUM
def test_serve_https_is_a_secure_context(tmp_path):
    from playwright.sync_api import sync_playwright

    server = FieldServer(tmp_path / "data", ["petugas"], https=True)
    server.start()
    try:
        ca = tmp_path / "data" / "tls" / "ca.pem"
        health = requests.get(server.base + "/health", verify=str(ca), timeout=10)
        assert health.status_code == 200
        assert "Sidik jari SHA-256" in server.log.read_text()
        der = requests.get(server.base + "/app/berjasa-ca.crt", verify=str(ca), timeout=10)
        assert der.headers["Content-Type"] == "application/x-x509-ca-cert"
        assert x509.load_der_x509_certificate(der.content).fingerprint(
            tls.hashes.SHA256()).hex(":").upper() in server.log.read_text()
        with sync_playwright() as p:
            # Trust the server's key the way a phone trusts the CA after the
            # fingerprint check (Chromium's flag pins the key instead).
            leaf = x509.load_pem_x509_certificate(
                (tmp_path / "data" / "tls" / "server.pem").read_bytes())
            spki = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
            browser = launch(p, f"--ignore-certificate-errors-spki-list={pin}")
            page = browser.new_context().new_page()
            page.goto(server.base + "/app/")
            page.wait_for_selector("#view-login:not([hidden])")
            assert page.evaluate("window.isSecureContext") is True
            assert page.locator("#secure-warning").is_hidden()
            page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
            browser.close()
    finally:
        server.kill()
