"""DTSEN, BPJS participant and cohort snapshots, imports, and the set-based
re-evaluation reads and writes (SQL only).

A snapshot id is the ``imports.id`` of the import that loaded the table's rows;
each import replaces its table whole, so the current id of a kind is the newest
import of that kind (a refused import is rolled back and leaves no row).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from central.storage.db import Database

TABLES = {"dtsen": "dtsen", "bpjs": "bpjs_participants", "cohort": "cohort", "jht": "jht_list"}
# The snapshots the eligibility rules read (the JHT list only changes what is paid).
RULE_KINDS = ("dtsen", "bpjs", "cohort")
COLUMNS = {
    "dtsen": ("nik", "kk_number", "full_name", "birth_date", "kelurahan_code", "desil", "snapshot_id"),
    "bpjs": ("nik", "kpj_number", "program", "status", "coverage_start", "snapshot_id", "line"),
    "cohort": ("nik", "kpj_number", "full_name", "birth_date", "kelurahan_code", "coverage_start",
               "monthly_income", "jht", "snapshot_id"),
    "jht": ("nik", "jht_from", "snapshot_id"),
}
# The snapshots whose rows keep the line of the file they came from (the last column):
# a finding on a registered worker's BPJS list status names the file and the line.
NUMBERED = frozenset({"bpjs"})
# A refused row whose NIK could be read (migration 0015): the rules reading that
# snapshot answer unknown for the NIK (central.eligibility.evidence).
UNREADABLE_COLUMNS = ("kind", "nik", "snapshot_id", "line", "code", "column_label")


def current_ids(db: Database) -> dict[str, int | None]:
    """The snapshot id in force per kind (None: never loaded)."""
    rows = db.query("SELECT kind, MAX(id) AS id FROM imports GROUP BY kind")
    found = {r["kind"]: r["id"] for r in rows}
    return {kind: found.get(kind) for kind in TABLES}


def lookup(db: Database, niks: list[str], kinds: tuple[str, ...] = RULE_KINDS) -> dict[str, Any]:
    """Snapshot rows for these NIKs (one query per loaded snapshot of ``kinds``; the
    others' are left empty), the ids in force, and the refused rows naming them
    (``unreadable``: {nik: [row, ...]}, each row with its import's ``file_name``; one query)."""
    ids = current_ids(db)
    out: dict[str, Any] = {"ids": ids, "dtsen": {}, "bpjs": {}, "cohort": {}, "unreadable": {}}
    for kind in kinds:
        table = TABLES[kind]
        if niks and ids[kind] is not None:
            among, params = db.in_list("nik", niks)
            out[kind] = {r["nik"]: r for r in db.query(f"SELECT * FROM {table} WHERE {among}", params)}
    if niks:
        among, params = db.in_list("u.nik", niks)
        for row in db.query(f"{_UNREADABLE} WHERE {among}", params):
            out["unreadable"].setdefault(row["nik"], []).append(row)
    return out


_UNREADABLE = ("SELECT u.kind, u.nik, u.line, u.code, u.column_label, i.file_name"
               " FROM unreadable_rows u LEFT JOIN imports i ON i.id = u.snapshot_id")
_HELD = "('accepted', 'registered', 'rejected')"  # the records a recheck decides


def unreadable_of_held(db: Database) -> dict[str, list[dict]]:
    """The refused rows naming a record central holds, by NIK (one query for a whole
    recheck; as many rows as such records have, however many rows imports refused)."""
    found: dict[str, list[dict]] = {}
    for row in db.query(f"{_UNREADABLE} WHERE EXISTS (SELECT 1 FROM records r WHERE r.nik = u.nik"
                        f" AND r.status IN {_HELD})"):
        found.setdefault(row["nik"], []).append(row)
    return found


def insert_unreadable(db: Database, rows: list[tuple]) -> None:
    """Refused rows with a readable NIK (tuples in UNREADABLE_COLUMNS order)."""
    db.insert_rows("unreadable_rows", UNREADABLE_COLUMNS, rows)


def unreadable_held(db: Database, snapshot_id: int) -> int:
    """How many of the NIKs refused by import ``snapshot_id`` a record held at central
    has (accepted, registered or rejected: the records a recheck decides)."""
    row = db.one("SELECT COUNT(*) AS n FROM unreadable_rows u WHERE u.snapshot_id = ? AND EXISTS"
                 f" (SELECT 1 FROM records r WHERE r.nik = u.nik AND r.status IN {_HELD})",
                 (snapshot_id,))
    return int(row["n"]) if row else 0


def in_force(db: Database, kind: str) -> dict[str, Any] | None:
    """The import whose rows the ``kind`` snapshot holds now: accepted and refused
    rows, file, when (None: never loaded)."""
    return db.one("SELECT id, accepted, rejected, file_name, imported_at FROM imports WHERE kind = ?"
                  " ORDER BY id DESC LIMIT 1", (kind,))


def start_import(db: Database, kind: str, file_name: str, rejects_file: str | None, at: str,
                 by: str) -> int:
    """A new imports row (counts filled by :func:`finish_import`); its id."""
    row = db.one("INSERT INTO imports (kind, file_name, read_count, accepted, rejected, rejects_file,"
                 " imported_at, imported_by) VALUES (?, ?, 0, 0, 0, ?, ?, ?) RETURNING id",
                 (kind, file_name, rejects_file, at, by))
    return int(row["id"])


def finish_import(db: Database, snapshot_id: int, read: int, accepted: int, rejected: int,
                  sha256: str, rejects_file: str | None = None) -> None:
    """The counts, file hash and rejects file (None: nothing rejected) of a finished
    import (it is now the snapshot in force)."""
    db.run("UPDATE imports SET read_count = ?, accepted = ?, rejected = ?, file_sha256 = ?,"
           " rejects_file = ? WHERE id = ?", (read, accepted, rejected, sha256, rejects_file,
                                               snapshot_id))


def clear(db: Database, kind: str) -> None:
    """Empty a snapshot table and forget its refused rows (inside the import transaction)."""
    table = TABLES[kind]
    db.run(f"TRUNCATE {table}" if db.dialect == "postgresql" else f"DELETE FROM {table}")
    db.run("DELETE FROM unreadable_rows WHERE kind = ?", (kind,))


def insert(db: Database, kind: str, rows: list[tuple]) -> None:
    """Bulk insert snapshot rows (COPY on PostgreSQL)."""
    db.insert_rows(TABLES[kind], COLUMNS[kind], rows)


def imports(db: Database) -> list[dict]:
    """Every finished import, newest first."""
    return db.query("SELECT id, kind, file_name, file_sha256, read_count, accepted, rejected,"
                    " rejects_file, imported_at, imported_by FROM imports ORDER BY id DESC")


_RECHECK = (
    "SELECT r.central_id, r.kelurahan_code, r.record_id, r.nik, r.birth_date, r.occupation,"
    " r.work_category, r.monthly_income, r.status, r.reasons, r.eligibility,"
    " r.registration_exported_at, r.kpj_number, r.coverage_start, r.updated_at,"
    " r.kpj_claim, r.kpj_claimed_at, r.version, r.coverage_end,"
    " d.desil, b.nik AS bpjs_nik, b.status AS bpjs_status, b.kpj_number AS bpjs_kpj,"
    " b.coverage_start AS bpjs_coverage, b.line AS bpjs_line, c.coverage_start AS cohort_start"
    " FROM records r LEFT JOIN dtsen d ON d.nik = r.nik"
    " LEFT JOIN bpjs_participants b ON b.nik = r.nik LEFT JOIN cohort c ON c.nik = r.nik"
    " WHERE r.status IN ('accepted', 'registered', 'rejected') AND r.central_id > ?{only}"
    " ORDER BY r.central_id LIMIT ?"
)


def records_for_recheck(db: Database, chunk: int = 5000,
                        central_ids: list[int] | None = None) -> Iterator[list[dict]]:
    """Held records with their snapshot rows, ``chunk`` at a time (keyset pages:
    one query per page, never one per record); ``central_ids``: only those."""
    if central_ids is not None:
        if central_ids:
            among, params = db.in_list("r.central_id", sorted({int(i) for i in central_ids}),
                                       "bigint")
            yield db.query(_RECHECK.format(only=f" AND {among}"), (0, *params, len(central_ids)))
        return
    after = 0
    while True:
        rows = db.query(_RECHECK.format(only=""), (after, chunk))
        if not rows:
            return
        yield rows
        after = rows[-1]["central_id"]


_COHORT_MATCH = "nik, kpj_number, full_name, birth_date, kelurahan_code, coverage_start"


def cohort_version(db: Database, snapshot_id: int | None = None) -> tuple | None:
    """What tells one loaded cohort from another: its import's id, time and file
    hash (``snapshot_id``, else the newest cohort import), or None when none is loaded."""
    if snapshot_id is None:
        row = db.one("SELECT id, imported_at, file_sha256 FROM imports WHERE kind = 'cohort'"
                     " ORDER BY id DESC LIMIT 1")
    else:
        row = db.one("SELECT id, imported_at, file_sha256 FROM imports WHERE id = ?"
                     " AND kind = 'cohort'", (snapshot_id,))
    return (int(row["id"]), row["imported_at"], row["file_sha256"]) if row is not None else None


def cohort_for_matching(db: Database) -> list[dict[str, Any]]:
    """Every cohort row with what the likely-duplicate check compares, in NIK order."""
    return db.query(f"SELECT {_COHORT_MATCH} FROM cohort ORDER BY nik")


def accepted_born_as_cohort(db: Database) -> Iterator[tuple[dict, dict]]:
    """(record, cohort row) for every accepted record and every cohort row of another
    NIK born the same day: what the cohort check compares after a cohort import or in
    ``central verify`` (one join through the birth-date indexes, streamed)."""
    for row in db.stream(
            "SELECT r.central_id, r.version, r.nik, r.full_name, r.birth_date, r.kelurahan_code,"
            " c.nik AS c_nik, c.kpj_number AS c_kpj_number, c.full_name AS c_full_name,"
            " c.birth_date AS c_birth_date, c.kelurahan_code AS c_kelurahan_code,"
            " c.coverage_start AS c_coverage_start FROM records r JOIN cohort c"
            " ON c.birth_date = r.birth_date AND c.nik <> r.nik WHERE r.status = 'accepted'"
            " ORDER BY r.central_id, c.nik"):
        record = {k: row[k] for k in ("central_id", "version", "nik", "full_name", "birth_date",
                                      "kelurahan_code")}
        yield record, {k[2:]: v for k, v in row.items() if k.startswith("c_")}


def nik_listed_for_kpj(db: Database, kpj: str) -> str | None:
    """The NIK the loaded BPJS list shows with this KPJ, or None."""
    row = db.one("SELECT nik FROM bpjs_participants WHERE kpj_number = ? ORDER BY nik LIMIT 1",
                 (kpj,))
    return row["nik"] if row else None


def active_niks(db: Database, niks: list[str]) -> set[str]:
    """Which of these NIKs an active (accepted/registered) record holds."""
    if not niks:
        return set()
    among, params = db.in_list("nik", niks)
    return {r["nik"] for r in db.query("SELECT nik FROM records WHERE status IN ('accepted', 'registered')"
                                       f" AND {among}", params)}


EVALUATION_COLUMNS = ("central_id", "status", "reasons", "kpj_number", "coverage_start",
                      "eligibility", "eligibility_snapshots", "evaluated_at", "updated_at")


def write_evaluations(db: Database, rows: list[tuple]) -> None:
    """Store re-evaluated records (tuples in EVALUATION_COLUMNS order). PostgreSQL:
    COPY into a temporary table and one UPDATE ... FROM; SQLite: executemany."""
    if not rows:
        return
    sets = ", ".join(f"{c} = t.{c}" for c in EVALUATION_COLUMNS[1:])
    if db.dialect == "postgresql":
        db.run("CREATE TEMP TABLE IF NOT EXISTS recheck_rows (central_id BIGINT PRIMARY KEY,"
               " status TEXT, reasons TEXT, kpj_number TEXT, coverage_start TEXT, eligibility TEXT,"
               " eligibility_snapshots TEXT, evaluated_at TEXT, updated_at TEXT) ON COMMIT DROP")
        db.run("TRUNCATE recheck_rows")
        db.insert_rows("recheck_rows", EVALUATION_COLUMNS, rows)
        db.run(f"UPDATE records SET {sets} FROM recheck_rows t WHERE records.central_id = t.central_id")
        return
    assignments = ", ".join(f"{c} = ?" for c in EVALUATION_COLUMNS[1:])
    db.many(f"UPDATE records SET {assignments} WHERE central_id = ?",
            [(*row[1:], row[0]) for row in rows])
