"""SQL for enrollments and their edit history. Functions take the connection
first and return plain dicts; database errors become domain problems here. Pages
of enrollments (lists, search, cursors, counts) are
:mod:`server.storage.enrollment_lists`."""

from __future__ import annotations

import json
import operator
import re
import sqlite3
import unicodedata
from typing import Any

from berjasa.canonical import canonical_text, parse_json
from berjasa.database import insert_rows
from berjasa.problems import DuplicateNik, IdConflict

CLIENT_FIELDS = (
    "id", "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt",
    "rw", "kelurahan_code", "mother_name", "phone", "occupation", "work_category",
    "monthly_income", "heir_name", "heir_relation", "heir_phone", "consent", "location",
    "captured_at", "notes", "disability", "possible_duplicate",
)
JSON_FIELDS = ("consent", "location", "warnings", "disability", "central_eligibility")
SERVER_FIELDS = (
    "status", "version", "enumerator", "last_edited_by", "received_at", "updated_at",
    "reviewed_by", "reviewed_at", "review_reason", "central_status", "central_reason",
    "kpj_number", "warnings", "central_eligibility",
)


_SPACE_RUNS = re.compile(r"\s+")
# Apostrophes belong to the word they stand in: Ma'ruf, Ma’ruf and Maruf are one name.
APOSTROPHES = "'\u2019\u2018\u02bc\u02bb`\u00b4"


class _NameFold(dict):
    """``str.translate`` table of :func:`name_key`, filled per character on first
    sight: apostrophes and combining marks (accents, after NFKD) dropped, any other
    punctuation or symbol a space (Hj.St. = Hj. St. = Hj St), the rest kept."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if char in APOSTROPHES or unicodedata.combining(char):
            folded = None
        elif unicodedata.category(char)[0] in "PS":
            folded = " "
        else:
            folded = char
        if len(self) < 20_000:  # queries may hold any character: keep the table small
            self[code] = folded
        return folded


_NAME_FOLD = _NameFold()


def name_key(name: str) -> str:
    """Fold a name for search, the same way for the stored name (the ``name_key``
    column) and the query: no accents, no case, no apostrophes, other punctuation as
    a space, single spaces. "Ma’ruf Daéng Ngëmba" -> "maruf daeng ngemba",
    "Hj. St. Aminah" -> "hj st aminah"."""
    if not isinstance(name, str):
        return ""
    if not name.isascii():  # ASCII has nothing to decompose
        name = unicodedata.normalize("NFKD", name).translate(_NAME_FOLD)
    elif not name.replace(" ", "").isalpha():  # most names: letters and spaces only
        name = name.translate(_NAME_FOLD)
    elif "  " not in name:  # ASCII letters between single spaces: no run to collapse
        return name.casefold().strip()
    return _SPACE_RUNS.sub(" ", name.casefold()).strip()


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the kelurahan migrations call: ``berjasa_name_key(full_name)``
    (:func:`name_key`; migration 0011 folds the names already held again)."""
    conn.create_function("berjasa_name_key", 1, name_key, deterministic=True)


def from_row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """An ``enrollments`` row as a dict, its JSON columns parsed (None: no row)."""
    if row is None:
        return None
    record = dict(row)
    for field in JSON_FIELDS:
        if record.get(field) is not None:
            record[field] = json.loads(record[field])
    return record


def _to_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Values as columns: JSON fields as their canonical text (compact, key-sorted:
    :func:`berjasa.canonical.canonical_text`; rows written before 2026-11-26 hold
    ``json.dumps(sort_keys=True)``'s spaced text, which parses the same)."""
    columns = dict(values)
    for field in JSON_FIELDS:
        if field in columns and columns[field] is not None:
            columns[field] = canonical_text(columns[field])
    if "full_name" in columns:
        columns["name_key"] = name_key(columns["full_name"])
    return columns


_INTEGER_COLUMNS = ("monthly_income", "version")  # the rest of the row is TEXT
_UNWRITTEN = tuple(SERVER_FIELDS)  # columns a new record may leave NULL
_READ_AS_BOUND = frozenset({str, int, type(None)})  # in their own columns


def stored_row(columns: dict[str, Any]) -> dict[str, Any] | None:
    """What :func:`get_enrollment` reads back right after a record was inserted
    by :func:`insert_enrollments` with these columns (one dict of its answer,
    which becomes the row): the JSON columns' text parsed as :func:`from_row`
    parses it, unwritten columns None. None when a value is of a type SQLite
    would convert on the way in (an integer in a TEXT column, text in an INTEGER
    one, a float...): then read the row instead."""
    kinds = list(map(type, columns.values()))
    if not _READ_AS_BOUND.issuperset(kinds):
        return None
    integers = kinds.count(int)  # only in the INTEGER columns
    for name in _INTEGER_COLUMNS:
        kind = type(columns.get(name))
        if kind is int:
            integers -= 1
        elif kind is str:
            return None
    if integers:
        return None
    for name in _UNWRITTEN:
        columns.setdefault(name, None)
    for field in JSON_FIELDS:
        text = columns[field]
        if text is not None:
            columns[field] = parse_json(text)
    return columns


def get_enrollment(conn: sqlite3.Connection, enrollment_id: str) -> dict[str, Any] | None:
    """One enrollment by its client id."""
    row = conn.execute("SELECT * FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
    return from_row(row)


def active_id_for_nik(conn: sqlite3.Connection, nik: str) -> str | None:
    """The id of the active (not rejected) enrollment holding a NIK."""
    row = conn.execute(
        "SELECT id FROM enrollments WHERE nik = ? AND status <> 'rejected'", (nik,)
    ).fetchone()
    return row["id"] if row else None


def insert_enrollment(conn: sqlite3.Connection, record: dict[str, Any]) -> None:
    """Insert a new enrollment; a second active NIK becomes DuplicateNik, a
    reused id becomes IdConflict."""
    columns = _to_columns(record)
    names = ", ".join(columns)
    marks = ", ".join(f":{name}" for name in columns)
    try:
        conn.execute(f"INSERT INTO enrollments ({names}) VALUES ({marks})", columns)
    except sqlite3.IntegrityError as exc:
        existing = active_id_for_nik(conn, record["nik"])
        if existing and existing != record["id"]:
            raise DuplicateNik(existing_id=existing) from exc
        raise IdConflict() from exc


def insert_enrollments(conn: sqlite3.Connection,
                       records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert many new enrollments (the same keys each) in one statement; each
    record's columns as written (for :func:`stored_row`). The caller planned them
    against :func:`intake_keys` and :func:`active_ids_for_niks` read in the same
    transaction; sqlite3.IntegrityError means that plan was wrong, and the caller,
    inside a savepoint, goes back to :func:`insert_enrollment` one by one."""
    if not records:
        return []
    rows = [_to_columns(record) for record in records]
    columns = tuple(rows[0])
    values = operator.itemgetter(*columns)
    insert_rows(conn, "enrollments", columns, [values(row) for row in rows])
    return rows


def _chunks(values: list[str], size: int = 900):
    """Slices that stay under SQLite's bound-variable limit."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def intake_keys(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What a replay check needs of the records that hold these ids:
    {id: {"intake_hash", "enumerator", "version"}}."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute("SELECT id, intake_hash, enumerator, version FROM enrollments"
                                f" WHERE id IN ({marks})", chunk):
            out[row["id"]] = dict(row)
    return out


def active_ids_for_niks(conn: sqlite3.Connection, niks: list[str]) -> dict[str, str]:
    """{nik: id} of the active (not rejected) enrollments holding these NIKs."""
    out: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(niks))):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT nik, id FROM enrollments WHERE nik IN ({marks})"
                                " AND status <> 'rejected'", chunk):
            out[row["nik"]] = row["id"]
    return out


def update_enrollment(conn: sqlite3.Connection, enrollment_id: str, changes: dict[str, Any],
                      expected_version: int) -> bool:
    """Apply changes and bump the version if the record is still at
    ``expected_version``; False when someone else changed it first."""
    columns = _to_columns(changes)
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    params = {**columns, "_id": enrollment_id, "_version": expected_version}
    try:
        cursor = conn.execute(
            f"UPDATE enrollments SET {assignments}, version = version + 1"
            " WHERE id = :_id AND version = :_version",
            params,
        )
    except sqlite3.IntegrityError as exc:
        existing = active_id_for_nik(conn, changes.get("nik", ""))
        raise DuplicateNik(existing_id=existing) from exc
    return cursor.rowcount == 1


def status_of(conn: sqlite3.Connection, enrollment_id: str) -> str | None:
    """A record's status now (None when the register does not hold it)."""
    row = conn.execute("SELECT status FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
    return row["status"] if row else None


STATE_COLUMNS = ("status", "version", "central_status", "central_reason", "kpj_number")


def central_reason_of(conn: sqlite3.Connection, enrollment_id: str) -> str | None:
    """The central reason a record holds now."""
    row = conn.execute("SELECT central_reason FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
    return row[0] if row else None


def central_rule_rejections(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """``central_rejected`` records whose central reason lists reason codes
    (``rejected: ...``): id and ``central_reason``."""
    return [dict(row) for row in conn.execute(
        "SELECT id, central_reason FROM enrollments"
        " WHERE status = 'central_rejected' AND central_reason LIKE 'rejected: %'")]


def set_central_eligibility(conn: sqlite3.Connection, enrollment_id: str, results: list) -> bool:
    """Keep central's latest rule results for the review page (not a status change);
    False when the register does not hold the record."""
    cursor = conn.execute("UPDATE enrollments SET central_eligibility = ? WHERE id = ?",
                          (json.dumps(results, ensure_ascii=False), enrollment_id))
    return cursor.rowcount > 0


def states_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Status, version and central columns of many records, by id."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT id, {', '.join(STATE_COLUMNS)} FROM enrollments"
                                f" WHERE id IN ({marks})", chunk):
            out[row["id"]] = dict(row)
    return out


def set_statuses(conn: sqlite3.Connection, changes: list[dict[str, Any]]) -> int:
    """Status and central columns of many records (``id``, ``version``, ``status``,
    ``central_status``, ``central_reason``, ``updated_at``), each only if still at
    the version read (inside the caller's transaction); the rows changed.
    Only :mod:`server.lifecycle` changes statuses."""
    cursor = conn.executemany(
        "UPDATE enrollments SET status = :status, central_status = :central_status,"
        " central_reason = :central_reason, updated_at = :updated_at, version = version + 1"
        " WHERE id = :id AND version = :version", changes)
    return cursor.rowcount


def editors(conn: sqlite3.Connection, enrollment_id: str) -> set[str]:
    """Everyone who ever changed a record's fields (its ``edit`` history)."""
    return {row[0] for row in conn.execute(
        "SELECT DISTINCT changed_by FROM enrollment_history"
        " WHERE enrollment_id = ? AND action = 'edit'", (enrollment_id,))}


def add_history(conn: sqlite3.Connection, enrollment_id: str, version: int, status: str,
                changed_at: str, changed_by: str, action: str, old: dict[str, Any],
                new: dict[str, Any], reason: str | None = None) -> None:
    """Keep the values an edit or decision replaced."""
    conn.execute(
        "INSERT INTO enrollment_history (enrollment_id, version, status, changed_at, changed_by,"
        " action, old_values, new_values, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (enrollment_id, version, status, changed_at, changed_by, action,
         json.dumps(old, ensure_ascii=False, sort_keys=True, default=str),
         json.dumps(new, ensure_ascii=False, sort_keys=True, default=str), reason),
    )


def history(conn: sqlite3.Connection, enrollment_id: str) -> list[dict[str, Any]]:
    """The record's history, oldest first."""
    rows = conn.execute(
        "SELECT version, status, changed_at, changed_by, action, old_values, new_values, reason"
        " FROM enrollment_history WHERE enrollment_id = ? ORDER BY id",
        (enrollment_id,),
    )
    return [
        {**dict(row), "old_values": json.loads(row["old_values"]),
         "new_values": json.loads(row["new_values"])}
        for row in rows
    ]


def central_notices(conn: sqlite3.Connection, enrollment_id: str) -> list[dict[str, Any]]:
    """Central's notices about one record that change no status (a likely
    duplicate pair flagged, a verifier's decision on it), oldest first."""
    rows = conn.execute("SELECT seq, kind, payload, received_at FROM sync_notices"
                        " WHERE enrollment_id = ? ORDER BY seq", (enrollment_id,)).fetchall()
    return [{"seq": r["seq"], "kind": r["kind"], "payload": json.loads(r["payload"]),
             "received_at": r["received_at"]} for r in rows]
