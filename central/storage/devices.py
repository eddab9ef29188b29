"""Devices, one-time registration codes and signed-request nonces (SQL only)."""

from __future__ import annotations

import hashlib
from typing import Any

from central.storage.db import Database


def code_hash(code: str) -> str:
    """Codes are kept as SHA-256 only."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def add_code(db: Database, code: str, kelurahan_code: str, created_at: str, expires_at: str,
             created_by: str | None = None) -> None:
    """Store a new one-time registration code (its SHA-256 only)."""
    db.run("INSERT INTO registration_codes (code_hash, kelurahan_code, created_at, expires_at,"
           " created_by) VALUES (?, ?, ?, ?, ?)",
           (code_hash(code), kelurahan_code, created_at, expires_at, created_by))


def get_code(db: Database, code: str) -> dict[str, Any] | None:
    """The stored code row, or None."""
    return db.one("SELECT * FROM registration_codes WHERE code_hash = ?", (code_hash(code),))


def mark_code_used(db: Database, code: str, device_id: str, used_at: str) -> bool:
    """Use the code once; False when another request used it first or it was cancelled."""
    return db.run("UPDATE registration_codes SET used_at = ?, device_id = ?"
                  " WHERE code_hash = ? AND used_at IS NULL AND cancelled_at IS NULL",
                  (used_at, device_id, code_hash(code))) == 1


def outstanding_codes(db: Database, now: str, kelurahan_code: str | None = None
                      ) -> list[dict[str, Any]]:
    """Codes not used, not cancelled and not expired (oldest first): kelurahan, when
    and by whom made, expiry; never the code (only its hash is stored) nor the hash."""
    where = " AND kelurahan_code = ?" if kelurahan_code is not None else ""
    params = (now, kelurahan_code) if kelurahan_code is not None else (now,)
    return db.query("SELECT kelurahan_code, created_at, created_by, expires_at"
                    " FROM registration_codes WHERE used_at IS NULL AND cancelled_at IS NULL"
                    f" AND expires_at > ?{where} ORDER BY created_at, kelurahan_code", params)


def cancel_codes(db: Database, kelurahan_code: str, now: str, by: str) -> list[dict[str, Any]]:
    """Cancel the kelurahan's outstanding codes; the codes cancelled (as listed)."""
    codes = outstanding_codes(db, now, kelurahan_code)
    db.run("UPDATE registration_codes SET cancelled_at = ?, cancelled_by = ?"
           " WHERE kelurahan_code = ? AND used_at IS NULL AND cancelled_at IS NULL"
           " AND expires_at > ?", (now, by, kelurahan_code, now))
    return codes


def list_devices(db: Database) -> list[dict[str, Any]]:
    """Every device with its last batch (``last_batch_at``, None: none yet) and the
    number of batches central holds from it, by kelurahan then registration."""
    return db.query(
        "SELECT d.device_id, d.kelurahan_code, d.label, d.registered_at, d.revoked_at,"
        " b.last_batch_at, COALESCE(b.batches, 0) AS batches FROM devices d"
        " LEFT JOIN (SELECT device_id, max(received_at) AS last_batch_at, count(*) AS batches"
        " FROM batches GROUP BY device_id) b ON b.device_id = d.device_id"
        " ORDER BY d.kelurahan_code, d.registered_at, d.device_id")


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
