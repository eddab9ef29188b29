"""Batches, records held at central, flags and updates (SQL only).

Writes go in bulk (one ``executemany`` per table per batch; psycopg pipelines it)
so ingestion costs a handful of round trips per batch, not one per record.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from central.storage.db import Database, IntegrityErrors, placeholders

RECORD_COLUMNS = (
    "kelurahan_code", "record_id", "batch_id", "nik", "kk_number", "full_name", "name_key",
    "birth_place", "birth_date", "sex", "address", "rt", "rw", "mother_name", "phone",
    "occupation", "work_category", "monthly_income", "heir_name", "heir_relation", "heir_phone",
    "consent", "location", "captured_at", "notes", "version", "enumerator", "reviewed_by",
    "reviewed_at", "status", "reasons", "checks", "duplicate_of_kelurahan", "duplicate_of_record",
    "content_hash", "received_at", "updated_at",
)
JSON_COLUMNS = frozenset({"consent", "location", "reasons", "checks"})
# One encoder reused: json.dumps with options builds a new encoder on every call.
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_JSON_INDEXES = [i for i, c in enumerate(RECORD_COLUMNS) if c in JSON_COLUMNS]
_CACHED_INDEXES = {i for i, c in enumerate(RECORD_COLUMNS) if c in ("reasons", "checks")}
_INSERT = (f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) "
           f"VALUES ({placeholders(len(RECORD_COLUMNS))})")
ACTIVE = ("accepted", "registered")


def get_batch(db: Database, batch_id: str) -> dict[str, Any] | None:
    """A stored batch (with its answer bytes), or None."""
    row = db.one("SELECT * FROM batches WHERE batch_id = ?", (batch_id,))
    if row is not None:
        row["answer"] = bytes(row["answer"])
    return row


def add_batch(db: Database, row: dict[str, Any]) -> None:
    """Store a batch and the answer it was given."""
    db.run("INSERT INTO batches (batch_id, device_id, kelurahan_code, content_hash, created_at,"
           " received_at, record_count, body_bytes, answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (row["batch_id"], row["device_id"], row["kelurahan_code"], row["content_hash"],
            row["created_at"], row["received_at"], row["record_count"], row["body_bytes"],
            row["answer"]))


def held_records(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """Records of this kelurahan already at central, by record id."""
    if not record_ids:
        return {}
    rows = db.query(
        "SELECT central_id, record_id, status, reasons, duplicate_of_kelurahan,"
        " duplicate_of_record FROM records WHERE kelurahan_code = ?"
        f" AND record_id IN ({placeholders(len(record_ids))})", [kelurahan_code, *record_ids])
    return {r["record_id"]: r for r in rows}


def active_by_nik(db: Database, niks: list[str]) -> dict[str, dict]:
    """The active (accepted/registered) record holding each NIK."""
    if not niks:
        return {}
    rows = db.query("SELECT central_id, nik, kelurahan_code, record_id FROM records"
                    f" WHERE status IN ('accepted', 'registered') AND nik IN ({placeholders(len(niks))})",
                    niks)
    return {r["nik"]: r for r in rows}


def active_by_birth_date(db: Database, birth_dates: list[str]) -> list[dict]:
    """Active records born on any of these dates (dedupe candidates)."""
    dates = sorted(set(d for d in birth_dates if d))
    if not dates:
        return []
    return db.query("SELECT central_id, nik, kk_number, full_name, birth_date, kelurahan_code,"
                    " record_id FROM records WHERE status IN ('accepted', 'registered')"
                    f" AND birth_date IN ({placeholders(len(dates))})", dates)


def insert_records(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the rows in one statement. When the active-NIK unique index refuses
    one (another writer got there first), insert row by row instead and turn each
    refused active row into a ``duplicate``: the returned list is the rows that
    changed that way."""
    values = [_row_values(row) for row in rows]
    try:
        with db.transaction():
            db.many(_INSERT, values)
        return []
    except IntegrityErrors:
        pass
    changed = []
    for row in rows:
        try:
            with db.transaction():
                db.run(_INSERT, _row_values(row))
        except IntegrityErrors:
            holder = active_by_nik(db, [row["nik"]]).get(row["nik"])
            if holder is None or row["status"] not in ACTIVE:
                raise
            row.update(status="duplicate", reasons=None,
                       duplicate_of_kelurahan=holder["kelurahan_code"],
                       duplicate_of_record=holder["record_id"])
            db.run(_INSERT, _row_values(row))
            changed.append(row)
    return changed


def central_ids(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, int]:
    """central_id of each stored record of this kelurahan."""
    return {r["record_id"]: r["central_id"] for r in held_records(db, kelurahan_code, record_ids).values()}


def add_flags(db: Database, flags: list[tuple[int, int, str, str]]) -> None:
    """Store likely-duplicate pairs (lower central_id first; repeats ignored)."""
    db.many("INSERT INTO duplicate_flags (central_id_a, central_id_b, match, flagged_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", flags)


def add_updates(db: Database, updates: Iterable[dict[str, Any]], at: str) -> None:
    """Append update entries ``{kelurahan_code, record_id, kind, ...payload}``."""
    rows = []
    for update in updates:
        payload = {k: v for k, v in update.items() if k not in ("kelurahan_code", "record_id", "kind")}
        checks = payload.pop("checks", None)
        text = _to_json(payload)
        if checks is not None:  # spliced in: the same few check lists repeat for every record
            text = text[:-1] + ("," if len(text) > 2 else "") + '"checks":' + _cached_json(checks) + "}"
        rows.append((update["kelurahan_code"], update["record_id"], update["kind"], text, at))
    db.many("INSERT INTO updates (kelurahan_code, record_id, kind, payload, at)"
            " VALUES (?, ?, ?, ?, ?)", rows)


def updates_since(db: Database, kelurahan_code: str, since: int, limit: int,
                  skip_kinds: tuple[str, ...] = ()) -> list[dict]:
    """Update entries of a kelurahan after ``since``, oldest first; ``skip_kinds``
    leaves out kinds the caller already knows (the agent has every ``accepted``
    from its batch answers, and 20,000 of them would cost megabytes on a 1 Mbit/s link)."""
    skip = f" AND kind NOT IN ({placeholders(len(skip_kinds))})" if skip_kinds else ""
    rows = db.query("SELECT seq, kelurahan_code, record_id, kind, payload, at FROM updates"
                    f" WHERE kelurahan_code = ? AND seq > ?{skip} ORDER BY seq LIMIT ?",
                    (kelurahan_code, since, *skip_kinds, limit))
    out = []
    for row in rows:
        payload = json.loads(row.pop("payload"))
        out.append({**row, **payload})
    return out


_json_cache: dict[str, str] = {}


def _cached_json(value: Any) -> str:
    """JSON of small, often-repeated values (check lists, reasons): encoded once."""
    key = repr(value)
    text = _json_cache.get(key)
    if text is None:
        if len(_json_cache) > 4096:
            _json_cache.clear()
        text = _json_cache[key] = _to_json(value)
    return text


def _row_values(row: dict[str, Any]) -> tuple:
    """A row's values in RECORD_COLUMNS order; objects and lists as JSON text."""
    values = [row[c] for c in RECORD_COLUMNS]
    for index in _JSON_INDEXES:
        value = values[index]
        if isinstance(value, (dict, list)):
            values[index] = _cached_json(value) if index in _CACHED_INDEXES else _to_json(value)
    return tuple(values)
