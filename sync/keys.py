"""The laptop's device identity: its Ed25519 key in the data folder and its
registration at central with a one-time code (``berjasa sync register``).

The private key never leaves the laptop; central keeps only the public half.
A registration makes a new key each time: it is written (as a pending file) before
the code is spent and becomes the device key only once central has answered; a
failed registration removes it and leaves the registered device as it was.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from berjasa.database import transaction, utc_now
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import (
    CENTRAL_EXCHANGE_FILE,
    DEVICE_KEY_FILE,
    SYNC_RUN_LOCK,
    replace_patiently,
    write_private,
)
from server.storage import privacy as privacy_store
from server.storage.users import get_site
from sync import protocol_sealed as sealed
from sync import storage
from sync.protocol import PROTOCOL_VERSION
from sync.protocol_auth import (
    answer_version,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_text,
    verify_answer,
)
from sync.protocol_errors import ProtocolError
from sync.transport import why_unreachable

log = logging.getLogger("berjasa.sync")
KEY_FILE = DEVICE_KEY_FILE
REGISTER_PATH = "/api/v1/devices/register"


class DeviceError(Exception):
    """The device is not registered, its key is missing, or registration failed."""


def write_key(data_dir: Path, key: Ed25519PrivateKey, name: str = KEY_FILE) -> Path:
    """Write the PEM readable by the owner only (where the platform supports it),
    atomically: a crash leaves the old file or the new one, never half."""
    return write_private(data_dir / name, private_key_pem(key))


def check_central_url(central_url: str, insecure_http: bool = False) -> None:
    """``https://``, or ``http://`` to a loopback address, or ``http://`` with
    ``insecure_http``; anything else is DeviceError (design.md)."""
    parts = urlsplit(central_url.strip())
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme != "http" or not parts.hostname:
        raise DeviceError(f"Alamat pusat tidak sah: {central_url[:100]!r} (harus https://...).")
    if insecure_http or _loopback(parts.hostname):
        return
    raise DeviceError(f"Pusat di {central_url[:100]} memakai http:// tanpa enkripsi; pakai https://"
                      " (atau --insecure-http bila memang disengaja, mis. jaringan uji).")


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


PENDING_KEY_FILE = "device_key.pending.pem"


def register_device(conn: sqlite3.Connection, data_dir: Path, central_url: str, code: str,
                    settings: dict[str, Any], label: str | None = None,
                    insecure_http: bool = False) -> dict[str, Any]:
    """Make a key, send its public half with the one-time code, store the device
    and pin central's signing key from the answer. Raises DeviceError with one
    clear line; a failed registration leaves the device as it was and no key file.

    Registering again (after a revocation, or for a new key) holds the agent's run
    lock, and the batches central has not answered are unpacked in the same
    transaction that stores the new device: they were signed by the old key (and
    name the old device inside), so central would refuse them for ever. Their
    records are packed again under the new device; a record central already holds
    (a batch applied whose answer was lost) is answered with its earlier decision
    (docs/sync-protocol.md, idempotency rule 4), so nothing is lost or doubled."""
    check_central_url(central_url, insecure_http)
    kelurahan_code = get_site(conn, "kelurahan_code")
    if not kelurahan_code:
        raise DeviceError("Folder data belum di-init; jalankan `berjasa init` dulu.")
    held = try_lock(lock_dir(data_dir) / SYNC_RUN_LOCK)
    if held is None:
        raise DeviceError("Sinkronisasi sedang berjalan; daftarkan perangkat setelah selesai "
                          "(coba lagi sebentar lagi).")
    with held:
        try:
            return _register(conn, data_dir, central_url, code, settings, kelurahan_code, label)
        finally:
            # the new key is kept only once registered (then it was moved): a refused
            # code, an unreachable central or a bad answer leaves nothing behind
            (data_dir / PENDING_KEY_FILE).unlink(missing_ok=True)


def _register(conn: sqlite3.Connection, data_dir: Path, central_url: str, code: str,
              settings: dict[str, Any], kelurahan_code: str, label: str | None) -> dict[str, Any]:
    """The registration itself, under the run lock: the request, the checked answer,
    the key moved in place, then the device stored and its old batches unpacked."""
    _central_reads_this_protocol(central_url, settings)  # before the code is spent
    key = generate_private_key()
    write_key(data_dir, key, PENDING_KEY_FILE)
    url = central_url.rstrip("/") + REGISTER_PATH
    body = {"code": code.strip(), "public_key": public_key_text(key),
            "exchange_public_key": sealed.public_text(sealed.exchange_key_from_device_key(key)),
            "kelurahan_code": kelurahan_code,
            "label": label or f"Laptop kelurahan {kelurahan_code} ({socket.gethostname()})"}
    # the version lets central sign its answer in the form this laptop checks
    # (a registration without it comes from a version-1 laptop)
    headers = {"Berjasa-Protocol": str(PROTOCOL_VERSION)}
    timeout = (float(settings["sync_connect_timeout_seconds"]),
               float(settings["sync_read_timeout_seconds"]))
    try:
        answer = requests.post(url, json=body, headers=headers, timeout=timeout,
                               verify=settings["sync_ca_bundle"] or True)
    except requests.RequestException as exc:
        raise DeviceError(f"Pusat tidak dapat dihubungi di {central_url}: {why_unreachable(exc)}") from exc
    if answer.status_code != 201:
        try:
            detail = answer.json()
            message = f"{detail.get('code')}: {detail.get('message', '')}"
        except ValueError:
            message = f"HTTP {answer.status_code}"
        raise DeviceError(f"Pendaftaran perangkat ditolak pusat ({message}).")
    try:
        pinned = _central_keys(answer, url, answer_version(headers))
    except DeviceError as exc:
        # central registered a device (the code is spent) whose answer this laptop
        # cannot trust: say so, and which device the admin should revoke
        orphan = _device_id_of(answer)
        raise DeviceError(
            f"{exc} Kode pendaftaran ini sudah terpakai: minta kode baru setelah pusat "
            "diperbarui" + (f", dan minta admin pusat mencabut perangkat {orphan} (berjasa "
                            f"central device revoke {orphan})" if orphan else "") + ".") from exc
    device_id = answer.json()["device_id"]
    central_exchange = answer.json().get("central_exchange_key")
    replace_patiently(data_dir / PENDING_KEY_FILE, data_dir / KEY_FILE)
    if isinstance(central_exchange, str) and _valid_exchange_key(central_exchange):
        # pinned for sync by USB stick (sync/usb.py)
        write_private(data_dir / CENTRAL_EXCHANGE_FILE, central_exchange.encode())
    device = {"device_id": device_id, "kelurahan_code": kelurahan_code,
              "central_url": central_url.rstrip("/"), "key_file": KEY_FILE,
              "public_key": public_key_text(key), "registered_at": utc_now(), **pinned}
    with transaction(conn):
        storage.save_device(conn, device)
        unpacked = [privacy_store.drop_pending_batch(conn, batch_id)
                    for batch_id in storage.unanswered_batch_ids(conn)]
    if unpacked:
        log.info("registered as %s: %d unanswered batches (%d records) packed again under it",
                 device_id, len(unpacked), sum(unpacked))
    return device


# A device route central checks the protocol version on before anything else (a
# signed GET; docs/sync-protocol.md "Versions"): asked unsigned, a central that reads
# this laptop's version answers unsigned_request, an older one unsupported_version.
VERSION_PROBE_PATH = "/api/v1/updates"
CENTRAL_TOO_OLD = "Perbarui berjasa di pusat dulu; kode pendaftaran belum terpakai."


def _central_reads_this_protocol(central_url: str, settings: dict[str, Any]) -> None:
    """Refuse (DeviceError, :data:`CENTRAL_TOO_OLD`) before the one-time code is sent
    when central answers that it does not read this laptop's protocol version: a
    central one version older registers the device, then signs its answer in a form
    this laptop refuses, and the code is spent. Any other answer (or none) lets the
    registration go on and say what it finds."""
    headers = {"Berjasa-Protocol": str(PROTOCOL_VERSION)}
    try:
        answer = requests.get(central_url.rstrip("/") + VERSION_PROBE_PATH, headers=headers,
                              timeout=(float(settings["sync_connect_timeout_seconds"]),
                                       float(settings["sync_read_timeout_seconds"])),
                              verify=settings["sync_ca_bundle"] or True)
        code = answer.json().get("code") if answer.status_code == 400 else None
    except (requests.RequestException, ValueError, AttributeError):
        return  # the registration itself says what is wrong
    if code == "unsupported_version":
        raise DeviceError(f"{CENTRAL_TOO_OLD} Pusat belum membaca protokol sinkronisasi versi "
                          f"{PROTOCOL_VERSION} laptop ini.")


def _device_id_of(answer: requests.Response) -> str | None:
    """The device id a registration answer names, or None."""
    try:
        device_id = answer.json().get("device_id")
    except (ValueError, AttributeError):
        return None
    return device_id if isinstance(device_id, str) and device_id.isprintable() else None


def _central_keys(answer: requests.Response, url: str,
                  version: int = PROTOCOL_VERSION) -> dict[str, str | None]:
    """Central's signing key(s) from the registration answer, checked against the
    answer's own signature (over TLS, this is the trust-on-registration moment)."""
    try:
        body = answer.json()
        current = body["central_public_key"]
        following = body.get("central_next_key") or None
        pinned = {key_id(load_public_key(current)): load_public_key(current)}
        if following:
            pinned[key_id(load_public_key(following))] = load_public_key(following)
        verify_answer(answer.headers, "POST", REGISTER_PATH, answer.status_code, "",
                      answer.content, pinned, version)
    except (ValueError, KeyError, TypeError, ProtocolError) as exc:
        raise DeviceError("Pusat tidak mengirim kunci tanda tangan yang sah saat pendaftaran; "
                          "perbarui berjasa di pusat.") from exc
    return {"central_public_key": current, "central_next_key": following}


def pinned_central_keys(device: dict[str, Any]) -> dict[str, Any]:
    """key id -> public key for the keys this laptop accepts central's answers from
    (empty for a device registered before keys were pinned)."""
    pinned = {}
    for text in (device.get("central_public_key"), device.get("central_next_key")):
        if text:
            public = load_public_key(text)
            pinned[key_id(public)] = public
    return pinned


def _valid_exchange_key(text: str) -> bool:
    try:
        sealed.load_public(text)
    except ValueError:
        return False
    return True


def load_device(conn: sqlite3.Connection, data_dir: Path) -> tuple[dict[str, Any], Ed25519PrivateKey]:
    """The registered device and its private key, or DeviceError."""
    device = storage.get_device(conn)
    if device is None:
        raise DeviceError("Perangkat belum terdaftar di pusat; jalankan "
                          "`berjasa sync register --central URL --code KODE`.")
    path = data_dir / device["key_file"]
    try:
        key = load_private_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise DeviceError(f"Kunci perangkat tidak terbaca ({path}); daftarkan ulang perangkat.") from exc
    if public_key_text(key) != device["public_key"]:
        raise DeviceError(f"Kunci perangkat di {path} bukan kunci yang terdaftar; daftarkan ulang.")
    return device, key
