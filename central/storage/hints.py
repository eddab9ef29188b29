"""SQL for central's duplicate-hint key and the identities it hashes."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database

ACTIVE = "status IN ('accepted', 'registered')"


def current_key(db: Database) -> dict[str, Any] | None:
    return db.one("SELECT key_id, secret, created_at, active_count FROM hint_keys"
                  " WHERE retired_at IS NULL ORDER BY created_at DESC, key_id LIMIT 1")


def replace_key(db: Database, key_id: str, secret_hex: str, at: str, active_count: int) -> None:
    """Retire every current key and add the new one (one transaction)."""
    with db.transaction():
        db.run("UPDATE hint_keys SET retired_at = ? WHERE retired_at IS NULL", (at,))
        db.run("INSERT INTO hint_keys (key_id, secret, created_at, active_count) VALUES (?, ?, ?, ?)",
               (key_id, secret_hex, at, active_count))


def active_count(db: Database) -> int:
    return int(db.one(f"SELECT count(*) AS n FROM records WHERE {ACTIVE}")["n"])


def added_since(db: Database, created_at: str) -> int:
    """Active records received after a key was made (what its set has gained)."""
    row = db.one(f"SELECT count(*) AS n FROM records WHERE {ACTIVE} AND received_at > ?", (created_at,))
    return int(row["n"])


def active_identities(db: Database, after: int, limit: int,
                      skip_device: str | None = None) -> list[dict[str, Any]]:
    """(central_id, kelurahan_code, nik, full_name, birth_date) of active records after a
    cursor; without the records ``skip_device`` sent (the asking laptop holds those)."""
    if skip_device is None:
        return db.query("SELECT central_id, kelurahan_code, nik, full_name, birth_date FROM records"
                        f" WHERE {ACTIVE} AND central_id > ? ORDER BY central_id LIMIT ?", (after, limit))
    return db.query("SELECT central_id, kelurahan_code, nik, full_name, birth_date FROM records"
                    f" WHERE {ACTIVE} AND central_id > ? AND NOT EXISTS (SELECT 1 FROM batches b"
                    " WHERE b.batch_id = records.batch_id AND b.device_id = ?)"
                    " ORDER BY central_id LIMIT ?", (after, skip_device, limit))
