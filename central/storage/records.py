"""Batches, records held at central, their name-word index and likely-duplicate
flags (SQL only). The update log is :mod:`central.storage.updates`; the lookup of
likely-duplicate candidates is :mod:`central.storage.duplicate_candidates`.

Writes go in bulk (``COPY`` on PostgreSQL, one ``executemany`` on SQLite, per table
per batch) so ingestion costs a handful of round trips per batch, not one per record.
"""

from __future__ import annotations

import json
import operator
from typing import Any

import orjson

from central.storage.db import Database, integrity_errors, placeholders

RECORD_COLUMNS = (
    "kelurahan_code", "record_id", "batch_id", "nik", "kk_number", "full_name", "name_key",
    "birth_place", "birth_date", "sex", "address", "rt", "rw", "mother_name", "phone",
    "occupation", "work_category", "monthly_income", "heir_name", "heir_relation", "heir_phone",
    "consent", "location", "captured_at", "notes", "version", "enumerator", "reviewed_by",
    "reviewed_at", "status", "reasons", "checks", "duplicate_of_kelurahan", "duplicate_of_record",
    "content_hash", "received_at", "updated_at", "evaluated_at", "disability", "eligibility",
    "eligibility_snapshots", "possible_duplicate", "kpj_claim", "kpj_claimed_at",
)
JSON_COLUMNS = frozenset({"consent", "location", "reasons", "checks", "disability", "eligibility",
                          "eligibility_snapshots"})


def to_json(value: Any) -> str:
    """Compact JSON text with sorted keys, UTF-8 as is (what ``json.dumps(value,
    ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` gives for the
    values stored here), by orjson: several times faster than the standard library
    for the two small objects every record carries."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()

# Written in this order: plain values first, then the JSON columns
_PLAIN_COLUMNS = ("central_id", *(c for c in RECORD_COLUMNS if c not in JSON_COLUMNS))
_INSERT_COLUMNS = (*_PLAIN_COLUMNS, "consent", "location", "reasons", "checks", "disability",
                   "eligibility", "eligibility_snapshots")
_plain_values = operator.itemgetter(*_PLAIN_COLUMNS)
_INSERT = (f"INSERT INTO records ({', '.join(_INSERT_COLUMNS)}) "
           f"VALUES ({placeholders(len(_INSERT_COLUMNS))})")
ACTIVE = ("accepted", "registered")
_ACTIVE_SQL = "('accepted', 'registered')"


def get_batch(db: Database, batch_id: str) -> dict[str, Any] | None:
    """A stored batch (with its answer bytes), or None."""
    row = db.one("SELECT * FROM batches WHERE batch_id = ?", (batch_id,))
    if row is not None:
        row["answer"] = bytes(row["answer"])
    return row


def stored_answers(db: Database, device_id: str, batch_ids: list[str]) -> dict[str, bytes]:
    """The stored answers of those of ``batch_ids`` central holds from this device
    (its keys: which of them central holds)."""
    if not batch_ids:
        return {}
    among, params = db.in_list("batch_id", batch_ids)
    return {r["batch_id"]: bytes(r["answer"]) for r in db.query(
        f"SELECT batch_id, answer FROM batches WHERE device_id = ? AND {among}", (device_id, *params))}


def add_batch(db: Database, row: dict[str, Any]) -> None:
    """Store a batch and the answer it was given."""
    db.run("INSERT INTO batches (batch_id, device_id, kelurahan_code, content_hash, created_at,"
           " received_at, record_count, body_bytes, answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (row["batch_id"], row["device_id"], row["kelurahan_code"], row["content_hash"],
            row["created_at"], row["received_at"], row["record_count"], row["body_bytes"],
            row["answer"]))


_HELD_COLUMNS = (
    "central_id, kelurahan_code, record_id, nik, status, reasons, duplicate_of_kelurahan,"
    " duplicate_of_record, version, kpj_number, coverage_start, registration_exported_at,"
    " kpj_claim, consent")


def held_records(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """Records of this kelurahan already at central, by record id."""
    if not record_ids:
        return {}
    ids, params = db.in_list("record_id", record_ids)
    rows = db.query(f"SELECT {_HELD_COLUMNS} FROM records WHERE kelurahan_code = ? AND {ids}",
                    [kelurahan_code, *params])
    return {r["record_id"]: r for r in rows}


def held_and_active(db: Database, kelurahan_code: str, record_ids: list[str],
                    niks: list[str]) -> tuple[dict[str, dict], dict[str, dict]]:
    """What a batch asks first: :func:`held_records` of its record ids and
    :func:`active_by_nik` of its NIKs (a row that is both is in both); one statement
    on PostgreSQL (one round trip), the two on SQLite (in process, each with its index)."""
    if not record_ids or not niks or db.dialect == "sqlite":  # no round trips to save there
        return held_records(db, kelurahan_code, record_ids), active_by_nik(db, niks)
    ids, id_params = db.in_list("record_id", record_ids)
    among, nik_params = db.in_list("nik", niks)
    wanted_ids, wanted_niks = set(record_ids), set(niks)
    held: dict[str, dict] = {}
    active: dict[str, dict] = {}
    for row in db.query(
            f"SELECT {_HELD_COLUMNS} FROM records"
            f" WHERE (kelurahan_code = ? AND {ids}) OR (status IN {_ACTIVE_SQL} AND {among})",
            [kelurahan_code, *id_params, *nik_params]):
        if row["kelurahan_code"] == kelurahan_code and row["record_id"] in wanted_ids:
            held[row["record_id"]] = row
        if row["status"] in ACTIVE and row["nik"] in wanted_niks:
            active[row["nik"]] = {k: row[k] for k in _ACTIVE_COLUMNS}
    return held, active


def set_kpj_claims(db: Database, claims: list[tuple[int, str]], at: str) -> None:
    """Keep a kelurahan's KPJ claim ``(central_id, kpj)`` on records already held
    (a registered record sent again after a restore; docs/central.md)."""
    db.many("UPDATE records SET kpj_claim = ?, kpj_claimed_at = ? WHERE central_id = ?",
            [(kpj, at, central_id) for central_id, kpj in claims])


_ACTIVE_COLUMNS = ("central_id", "nik", "kelurahan_code", "record_id")


def active_by_nik(db: Database, niks: list[str]) -> dict[str, dict]:
    """The active (accepted/registered) record holding each NIK."""
    if not niks:
        return {}
    among, params = db.in_list("nik", niks)
    # SQLite without statistics reads every active record through records_status and
    # filters the NIKs (10 ms a batch at 8,000 held, growing with the table); the
    # partial index holds exactly the active NIKs
    index = " INDEXED BY records_active_nik" if db.dialect == "sqlite" else ""
    rows = db.query(f"SELECT {', '.join(_ACTIVE_COLUMNS)} FROM records{index}"
                    f" WHERE status IN {_ACTIVE_SQL} AND {among}", params)
    return {r["nik"]: r for r in rows}


# A record answered ``duplicate`` because another record held its NIK, not one a
# verifier's pair decision made the duplicate of another NIK (final): central.waiting
_WAITING = (
    "r.status = 'duplicate' AND NOT EXISTS (SELECT 1 FROM duplicate_flags d"
    " WHERE (d.central_id_b = r.central_id AND d.decision = 'keep_a')"
    " OR (d.central_id_a = r.central_id AND d.decision = 'keep_b'))"
    " AND NOT EXISTS (SELECT 1 FROM records a WHERE a.nik = r.nik"
    " AND a.status IN ('accepted', 'registered'))")


def waiting_duplicates(db: Database, niks: list[str] | None = None) -> list[dict]:
    """Records waiting for a NIK no active record holds (of ``niks``; None: any),
    oldest first (``central_id``), with the record they were answered duplicate of."""
    among, params = db.in_list("r.nik", niks) if niks is not None else ("1 = 1", [])
    return db.query("SELECT r.central_id, r.nik, r.kelurahan_code, r.record_id,"
                    " r.duplicate_of_kelurahan, r.duplicate_of_record FROM records r"
                    f" WHERE {_WAITING} AND {among} ORDER BY r.central_id", params)


def reopen_for_judging(db: Database, central_ids: list[int], at: str) -> int:
    """Waiting duplicates about to be judged again: no longer a duplicate of anyone,
    held as a record with no decision yet (``rejected`` with no reason, no rule
    results: :func:`central.recheck.recheck` decides it next, in the same
    transaction). How many were still waiting."""
    among, params = db.in_list("central_id", central_ids, "bigint")
    return db.run("UPDATE records SET status = 'rejected', reasons = '[]', checks = NULL,"
           " eligibility = NULL, duplicate_of_kelurahan = NULL, duplicate_of_record = NULL,"
           f" updated_at = ? WHERE status = 'duplicate' AND {among}", [at, *params])


def repoint_duplicates(db: Database, central_ids: list[int], kelurahan_code: str,
                       record_id: str, at: str) -> None:
    """Waiting duplicates whose NIK another record now holds: duplicates of that one."""
    among, params = db.in_list("central_id", central_ids, "bigint")
    db.run("UPDATE records SET duplicate_of_kelurahan = ?, duplicate_of_record = ?, updated_at = ?"
           f" WHERE status = 'duplicate' AND {among}", [kelurahan_code, record_id, at, *params])


def records_for_flagging(db: Database, central_ids: list[int]) -> dict[int, dict]:
    """Records by central id, with what the likely-duplicate flags, the identity
    checks and the updates read."""
    if not central_ids:
        return {}
    among, params = db.in_list("central_id", sorted(central_ids), "bigint")
    return {int(r["central_id"]): r for r in db.query(
        "SELECT central_id, kelurahan_code, record_id, nik, kk_number, full_name, name_key,"
        " birth_date, version, status, reasons, eligibility, kpj_number, coverage_start"
        f" FROM records WHERE {among}", params)}


def add_name_words(db: Database, rows: list[dict[str, Any]]) -> None:
    """Index the name-key words of stored rows (with ``central_id``) for
    :func:`central.storage.duplicate_candidates.likely_duplicate_candidates`; call it
    in the transaction that stores them."""
    values = []
    for row in rows:
        words = (row.get("name_key") or "").split()
        if row.get("birth_date") and words:
            values += [(row["central_id"], row["birth_date"], word, len(words))
                       for word in dict.fromkeys(words)]
    db.insert_rows("record_name_words", ("central_id", "birth_date", "word", "word_count"), values)


def remove_name_words(db: Database, central_id: int) -> None:
    """Forget a record's name words (before it is replaced, or when it is erased)."""
    db.run("DELETE FROM record_name_words WHERE central_id = ?", (central_id,))


def insert_records(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each row its ``central_id`` and insert them in one bulk write (call it
    inside the ingest transaction). When the active-NIK unique index refuses one
    (another writer got there first), insert row by row instead and turn each
    refused active row into a ``duplicate``: the returned list is the rows that
    changed that way."""
    if not rows:
        return []
    for row, central_id in zip(rows, _new_central_ids(db, len(rows))):
        row["central_id"] = central_id
    values = _rows_values(rows)
    try:
        with db.transaction():
            db.insert_rows("records", _INSERT_COLUMNS, values)
        add_name_words(db, rows)
        return []
    except integrity_errors():
        pass
    changed = []
    for row, row_values in zip(rows, values):
        try:
            with db.transaction():
                db.run(_INSERT, row_values)
        except integrity_errors():
            holder = active_by_nik(db, [row["nik"]]).get(row["nik"])
            if holder is None or row["status"] not in ACTIVE:
                raise
            row.update(status="duplicate", reasons=None, checks=None, eligibility=None,
                       duplicate_of_kelurahan=holder["kelurahan_code"],
                       duplicate_of_record=holder["record_id"])
            db.run(_INSERT, _rows_values([row])[0])
            changed.append(row)
    add_name_words(db, rows)
    return changed


def replace_record(db: Database, row: dict[str, Any]) -> None:
    """Replace a held record by a newer version of it (same ``central_id``, a
    fix sent after central sent it back), with its new decision."""
    columns = [c for c in RECORD_COLUMNS if c not in ("kelurahan_code", "record_id")]
    values = _rows_values([row])[0]
    by_name = dict(zip(_INSERT_COLUMNS, values))
    db.run(f"UPDATE records SET {', '.join(f'{c} = ?' for c in columns)} WHERE central_id = ?",
           [*(by_name[c] for c in columns), row["central_id"]])
    remove_name_words(db, row["central_id"])
    add_name_words(db, [row])


def _new_central_ids(db: Database, count: int) -> list[int]:
    """``count`` new central ids, ascending. PostgreSQL draws them from the column's
    sequence; SQLite continues after the highest, as INTEGER PRIMARY KEY would
    (the ingest transaction holds the write lock, so nobody else takes them)."""
    if db.dialect == "postgresql":
        # the BIGSERIAL's own sequence, by name (pg_get_serial_sequence() here ran once
        # per row and cost ten times the nextval calls)
        rows = db.query("SELECT nextval('records_central_id_seq') AS id"
                        " FROM generate_series(1, ?)", (count,))
        return sorted(r["id"] for r in rows)
    top = db.one("SELECT COALESCE(MAX(central_id), 0) AS top FROM records")["top"]
    return list(range(top + 1, top + count + 1))


def add_flags(db: Database, flags: list[tuple[int, int, str, str]]) -> None:
    """Store likely-duplicate pairs (lower central_id first; repeats ignored)."""
    db.many("INSERT INTO duplicate_flags (central_id_a, central_id_b, match, flagged_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", flags)


# What a kelurahan gets back of its own record (``GET /api/v1/records``): the fields
# it sent (sync.protocol.RECORD_FIELDS with ``record_id`` for ``id``, and the optional
# fields but the KPJ claim) and central's decision.
RECOVERY_COLUMNS = (
    "central_id", "record_id", "nik", "kk_number", "full_name", "birth_place", "birth_date",
    "sex", "address", "rt", "rw", "kelurahan_code", "mother_name", "phone", "occupation",
    "work_category", "monthly_income", "heir_name", "heir_relation", "heir_phone", "consent",
    "location", "captured_at", "notes", "version", "enumerator", "reviewed_by", "reviewed_at",
    "disability", "possible_duplicate", "status", "reasons", "duplicate_of_kelurahan",
    "duplicate_of_record", "kpj_number",
)


def kelurahan_records(db: Database, kelurahan_code: str, after: int, limit: int) -> list[dict]:
    """A kelurahan's records (erased ones too: their ids and status only remain),
    by central id after ``after``, at most ``limit``; JSON columns parsed."""
    rows = db.query(f"SELECT {', '.join(RECOVERY_COLUMNS)} FROM records WHERE kelurahan_code = ?"
                    " AND central_id > ? ORDER BY central_id LIMIT ?", (kelurahan_code, after, limit))
    for row in rows:
        for column in ("consent", "location", "disability", "reasons"):
            if isinstance(row[column], str):
                row[column] = json.loads(row[column])
    return rows


def _shared_json(value: Any, shared: dict[int, str]) -> str:
    """JSON of a value that many rows of one call hold (the same list object):
    encoded once. Keyed by id(), so ``shared`` must not outlive the rows."""
    text = shared.get(id(value))
    if text is None:
        text = shared[id(value)] = to_json(value)
    return text


def _rows_values(rows: list[dict[str, Any]]) -> list[tuple]:
    """Each row's values in _INSERT_COLUMNS order (absent keys as NULL); objects
    and lists as JSON text."""
    shared: dict[int, str] = {}
    consents = _json_each([row.get("consent") for row in rows])
    locations = _json_each([row.get("location") for row in rows])
    out = []
    for row, consent, location in zip(rows, consents, locations):
        try:
            plain = _plain_values(row)
        except KeyError:
            plain = tuple(map(row.get, _PLAIN_COLUMNS))
        out.append((*plain, consent, location, _json_or_value(row.get("reasons"), shared),
                    _json_or_value(row.get("checks"), shared),
                    _json_or_value(row.get("disability"), shared),
                    _json_or_value(row.get("eligibility"), shared),
                    _json_or_value(row.get("eligibility_snapshots"), shared)))
    return out


def _json_or_value(value: Any, shared: dict[int, str]) -> Any:
    """Objects and lists as (shared) JSON text; text, numbers and None as they are."""
    return _shared_json(value, shared) if isinstance(value, (dict, list)) else value


def _json_each(values: list[Any]) -> list[Any]:
    """``to_json`` of each dict or list in ``values`` (other values as they are)."""
    return [to_json(v) if isinstance(v, (dict, list)) else v for v in values]
