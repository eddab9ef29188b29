"""sync agent over HTTPS: central's certificate is verified, a city-run CA is
trusted through ``sync_ca_bundle``, and an unknown CA fails with one clear error."""

from __future__ import annotations

import importlib.util
import socket
import ssl
import sys
import threading
from pathlib import Path

import pytest

from server.tls import ensure_certificates
from sync.agent import run_once

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while chunk := a.recv(65536):
            b.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def tls_front(upstream_port: int, cert: Path, key: Path) -> tuple[str, socket.socket]:
    """A TLS terminator on 127.0.0.1 forwarding to central's plain HTTP port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def accept() -> None:
        while True:
            try:
                raw, _ = listener.accept()
                client = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                if listener.fileno() == -1:
                    return
                continue
            upstream = socket.create_connection(("127.0.0.1", upstream_port))
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return f"https://127.0.0.1:{listener.getsockname()[1]}", listener


@pytest.fixture
def https_central(tmp_path):
    central = h.central_in_thread(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "central")
    files = ensure_certificates(tmp_path / "city-ca", names=["127.0.0.1", "localhost"])
    url, listener = tls_front(central.port, files.server_cert, files.server_key)
    yield central, url, files.ca_cert
    listener.close()
    central.stop()


def test_city_ca_bundle_is_trusted(https_central, tmp_path):
    central, url, ca = https_central
    folder = h.make_kelurahan(tmp_path / "kel", "73.71.01.1001")
    from berjasa.database import connect
    from sync.keys import register_device

    conn = connect(folder / "kelurahan.db")
    register_device(conn, folder, url, central.code("73.71.01.1001"),
                    h.agent_settings(folder, sync_ca_bundle=str(ca)))
    conn.close()
    h.seed_approved(folder, 3, seed=31)
    report = run_once(folder, h.agent_settings(folder, sync_ca_bundle=str(ca)), "test")
    assert report.ok and report.records_sent == 3


def test_unknown_ca_is_refused_with_one_clear_error(https_central, tmp_path):
    central, url, ca = https_central
    folder = h.make_kelurahan(tmp_path / "kel", "73.71.01.1001")
    from berjasa.database import connect
    from sync.keys import DeviceError, register_device

    conn = connect(folder / "kelurahan.db")
    with pytest.raises(DeviceError):
        register_device(conn, folder, url, central.code("73.71.01.1001"), h.agent_settings(folder))
    register_device(conn, folder, url, central.code("73.71.01.1001"),
                    h.agent_settings(folder, sync_ca_bundle=str(ca)))
    conn.close()
    h.seed_approved(folder, 2, seed=32)
    report = run_once(folder, h.agent_settings(folder), "test")  # no CA bundle: system CAs only
    assert not report.ok and "tls_error" in report.error and report.records_sent == 0
    assert h.held_at_central(central, "73.71.01.1001") == {}
