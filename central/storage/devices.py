"""Devices, one-time registration codes and signed-request nonces (SQL only)."""

from __future__ import annotations

import hashlib
from typing import Any

from central.storage.db import Database


def code_hash(code: str) -> str:
    """Codes are kept as SHA-256 only."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def add_code(db: Database, code: str, kelurahan_code: str, created_at: str, expires_at: str) -> None:
    """Store a new one-time registration code."""
    db.run("INSERT INTO registration_codes (code_hash, kelurahan_code, created_at, expires_at)"
           " VALUES (?, ?, ?, ?)", (code_hash(code), kelurahan_code, created_at, expires_at))


def get_code(db: Database, code: str) -> dict[str, Any] | None:
    """The stored code row, or None."""
    return db.one("SELECT * FROM registration_codes WHERE code_hash = ?", (code_hash(code),))


def mark_code_used(db: Database, code: str, device_id: str, used_at: str) -> bool:
    """Use the code once; False when another request used it first."""
    return db.run("UPDATE registration_codes SET used_at = ?, device_id = ?"
                  " WHERE code_hash = ? AND used_at IS NULL",
                  (used_at, device_id, code_hash(code))) == 1


def add_device(db: Database, device_id: str, kelurahan_code: str, label: str,
               public_key: str, registered_at: str) -> None:
    """Register a device's public key."""
    db.run("INSERT INTO devices (device_id, kelurahan_code, label, public_key, registered_at)"
           " VALUES (?, ?, ?, ?, ?)", (device_id, kelurahan_code, label, public_key, registered_at))


def get_device(db: Database, device_id: str) -> dict[str, Any] | None:
    """A device by id, or None."""
    return db.one("SELECT * FROM devices WHERE device_id = ?", (device_id,))


def revoke(db: Database, device_or_kelurahan: str, revoked_at: str) -> list[dict[str, Any]]:
    """Revoke one device (by id) or every active device of a kelurahan; the devices
    revoked (``device_id``, ``kelurahan_code``, ``registered_at``)."""
    rows = db.query("SELECT device_id, kelurahan_code, registered_at FROM devices"
                    " WHERE (device_id = ? OR kelurahan_code = ?) AND revoked_at IS NULL"
                    " ORDER BY registered_at, device_id", (device_or_kelurahan, device_or_kelurahan))
    for row in rows:
        db.run("UPDATE devices SET revoked_at = ? WHERE device_id = ?",
               (revoked_at, row["device_id"]))
    return rows


def remember_nonce(db: Database, device_id: str, nonce: str, seen_at: int, forget_before: int) -> bool:
    """Record a request nonce; False when it was already seen (a replay). Nonces
    older than the skew window are forgotten: their timestamps are refused anyway."""
    with db.transaction():
        db.run("DELETE FROM request_nonces WHERE seen_at < ?", (forget_before,))
        if db.one("SELECT 1 AS seen FROM request_nonces WHERE device_id = ? AND nonce = ?",
                  (device_id, nonce)):
            return False
        db.run("INSERT INTO request_nonces (device_id, nonce, seen_at) VALUES (?, ?, ?)",
               (device_id, nonce, seen_at))
    return True


def set_exchange_key(db: Database, device_id: str, public_key: str, added_at: str) -> None:
    """Register a device's USB exchange key (public half)."""
    db.run("INSERT INTO device_exchange_keys (device_id, public_key, added_at) VALUES (?, ?, ?)",
           (device_id, public_key, added_at))


def exchange_key(db: Database, device_id: str) -> str | None:
    """A device's registered exchange key, or None."""
    row = db.one("SELECT public_key FROM device_exchange_keys WHERE device_id = ?", (device_id,))
    return row["public_key"] if row else None


def latest_active_device(db: Database, kelurahan_code: str) -> dict[str, Any] | None:
    """The kelurahan's most recently registered device that is not revoked."""
    return db.one("SELECT * FROM devices WHERE kelurahan_code = ? AND revoked_at IS NULL"
                  " ORDER BY registered_at DESC, device_id DESC LIMIT 1", (kelurahan_code,))


def batches_of_kelurahan(db: Database, kelurahan_code: str) -> list[dict[str, Any]]:
    """Every batch central holds from a kelurahan, with its answer bytes, oldest first."""
    rows = db.query("SELECT batch_id, answer FROM batches WHERE kelurahan_code = ?"
                    " ORDER BY received_at, batch_id", (kelurahan_code,))
    for row in rows:
        row["answer"] = bytes(row["answer"])
    return rows
