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


def revoke(db: Database, device_or_kelurahan: str, revoked_at: str) -> list[str]:
    """Revoke one device (by id) or every active device of a kelurahan; the ids revoked."""
    rows = db.query("SELECT device_id FROM devices WHERE (device_id = ? OR kelurahan_code = ?)"
                    " AND revoked_at IS NULL", (device_or_kelurahan, device_or_kelurahan))
    ids = [r["device_id"] for r in rows]
    for device_id in ids:
        db.run("UPDATE devices SET revoked_at = ? WHERE device_id = ?", (revoked_at, device_id))
    return ids


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
