"""The laptop's device identity: its Ed25519 key in the data folder and its
registration at central with a one-time code (``berjasa sync register``).

The private key never leaves the laptop; central keeps only the public half.
The key file is written before the code is spent, so a lost answer leaves a key
that can be registered again with a new code.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from berjasa.database import utc_now
from berjasa.paths import write_private
from server.storage.users import get_site
from sync import storage
from sync.protocol_auth import (
    generate_private_key,
    load_private_key,
    private_key_pem,
    public_key_text,
)

KEY_FILE = "device_key.pem"


class DeviceError(Exception):
    """The device is not registered, its key is missing, or registration failed."""


def write_key(data_dir: Path, key: Ed25519PrivateKey, name: str = KEY_FILE) -> Path:
    """Write the PEM readable by the owner only (where the platform supports it),
    atomically: a crash leaves the old file or the new one, never half."""
    return write_private(data_dir / name, private_key_pem(key))


def register_device(conn: sqlite3.Connection, data_dir: Path, central_url: str, code: str,
                    settings: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """Make a key, send its public half with the one-time code, store the device.
    Raises DeviceError with one clear line."""
    kelurahan_code = get_site(conn, "kelurahan_code")
    if not kelurahan_code:
        raise DeviceError("Folder data belum di-init; jalankan `berjasa init` dulu.")
    key = generate_private_key()
    key_name = "device_key.pending.pem"
    write_key(data_dir, key, key_name)
    url = central_url.rstrip("/") + "/api/v1/devices/register"
    body = {"code": code.strip(), "public_key": public_key_text(key),
            "kelurahan_code": kelurahan_code,
            "label": label or f"Laptop kelurahan {kelurahan_code} ({socket.gethostname()})"}
    timeout = (float(settings["sync_connect_timeout_seconds"]),
               float(settings["sync_read_timeout_seconds"]))
    try:
        answer = requests.post(url, json=body, timeout=timeout, verify=settings["sync_ca_bundle"] or True)
    except requests.RequestException as exc:
        raise DeviceError(f"Pusat tidak dapat dihubungi di {central_url}: {type(exc).__name__}") from exc
    if answer.status_code != 201:
        try:
            detail = answer.json()
            message = f"{detail.get('code')}: {detail.get('message', '')}"
        except ValueError:
            message = f"HTTP {answer.status_code}"
        raise DeviceError(f"Pendaftaran perangkat ditolak pusat ({message}).")
    device_id = answer.json()["device_id"]
    os.replace(data_dir / key_name, data_dir / KEY_FILE)
    device = {"device_id": device_id, "kelurahan_code": kelurahan_code,
              "central_url": central_url.rstrip("/"), "key_file": KEY_FILE,
              "public_key": public_key_text(key), "registered_at": utc_now()}
    storage.save_device(conn, device)
    return device


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
