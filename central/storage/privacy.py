"""SQL of erasure at central (docs/privacy.md): wiping a record's personal fields,
removing what else names it (findings, Dukcapil progress, duplicate flags,
undelivered updates), and the erasures table (audit + tombstones)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from berjasa.database import checkpoint_truncate
from central.storage.db import Database

# Columns an erased record keeps: ids, bookkeeping, staff names. Every other
# nullable column is set to NULL (columns added by later migrations included).
KEPT_COLUMNS = frozenset({
    "central_id", "kelurahan_code", "record_id", "batch_id", "status", "content_hash",
    "received_at", "updated_at", "version", "enumerator", "reviewed_by", "reviewed_at",
    "duplicate_of_kelurahan", "duplicate_of_record", "registration_exported_at", "nik",
    "name_key",
})


def _nullable_columns(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        rows = db.query("SELECT name, \"notnull\" AS required FROM pragma_table_info('records')")
        return [r["name"] for r in rows if not r["required"]]
    rows = db.query("SELECT column_name AS name FROM information_schema.columns"
                    " WHERE table_name = 'records' AND table_schema = current_schema()"
                    " AND is_nullable = 'YES'")
    return [r["name"] for r in rows]


# The names an erasure reason must not hold (berjasa.erasure.record_names).
NAMES = "full_name, mother_name, heir_name"


def records_by_nik(db: Database, nik: str) -> list[dict[str, Any]]:
    """Every record (any status) with this NIK."""
    return db.query("SELECT central_id, kelurahan_code, record_id, status, nik,"
                    f" registration_exported_at, {NAMES} FROM records WHERE nik = ?"
                    " ORDER BY central_id", (nik,))


def records_by_ids(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """This kelurahan's records by record id."""
    if not record_ids:
        return {}
    among, params = db.in_list("record_id", record_ids)
    rows = db.query("SELECT central_id, kelurahan_code, record_id, status, nik,"
                    f" registration_exported_at, {NAMES} FROM records"
                    f" WHERE kelurahan_code = ? AND {among}", [kelurahan_code, *params])
    return {r["record_id"]: r for r in rows}


def wipe_record(db: Database, central_id: int, pseudonym: str, now: str) -> None:
    """Status ``erased``, NIK replaced by its pseudonym, every personal column NULL."""
    columns = [c for c in _nullable_columns(db) if c not in KEPT_COLUMNS]
    assignments = "".join(f", {c} = NULL" for c in columns)
    db.run(f"UPDATE records SET status = 'erased', nik = ?, name_key = '', updated_at = ?"
           f"{assignments} WHERE central_id = ?", (pseudonym, now, central_id))


def delete_traces(db: Database, central_id: int, kelurahan_code: str, record_id: str) -> None:
    """Remove the rows that describe an erased record beside it."""
    for table in ("findings", "dukcapil_checks"):
        if _table_exists(db, table):
            db.run(f"DELETE FROM {table} WHERE central_id = ?", (central_id,))
    db.run("DELETE FROM duplicate_flags WHERE central_id_a = ? OR central_id_b = ?",
           (central_id, central_id))
    db.run("DELETE FROM record_name_words WHERE central_id = ?", (central_id,))
    db.run("DELETE FROM updates WHERE kelurahan_code = ? AND record_id = ?",
           (kelurahan_code, record_id))


def _table_exists(db: Database, name: str) -> bool:
    if db.dialect == "sqlite":
        return db.one("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)) is not None
    row = db.one("SELECT to_regclass(?) IS NOT NULL AS present", (name,))
    return bool(row and row["present"])


def add_erasure(db: Database, row: dict[str, Any]) -> bool:
    """Record an erasure (or tombstone); False when this record was already erased."""
    return db.run(
        "INSERT INTO erasures (kelurahan_code, record_id, central_id, pseudonym, origin, device_id,"
        " reason, erased_by, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (kelurahan_code, record_id) DO NOTHING",
        (row["kelurahan_code"], row["record_id"], row.get("central_id"), row.get("pseudonym"),
         row["origin"], row.get("device_id"), row.get("reason"), row["erased_by"],
         row["erased_at"])) == 1


def erasures_of(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """Erasures (tombstones included) of these records of one kelurahan."""
    if not record_ids:
        return {}
    among, params = db.in_list("record_id", record_ids)
    rows = db.query(f"SELECT * FROM erasures WHERE kelurahan_code = ? AND {among}",
                    [kelurahan_code, *params])
    return {r["record_id"]: r for r in rows}


def requested_erasures(db: Database, pseudonyms: list[str],
                       not_reason_prefix: str) -> dict[str, dict[str, Any]]:
    """{pseudonym: its latest erasure (``erased_at``, ``kelurahan_code``, ``origin``)}
    for the NIK pseudonyms of a batch that were erased at a request (usually none),
    leaving out those whose reason starts with ``not_reason_prefix`` (a kelurahan's
    retention purge: nobody asked for it). One statement, probing ``erasures_pseudonym``
    once per pseudonym (an index scan on both backends, ``db.in_list``)."""
    if not pseudonyms:
        return {}
    among, params = db.in_list("pseudonym", pseudonyms)
    return _latest(db.query("SELECT pseudonym, erased_at, kelurahan_code, origin FROM erasures"
                            f" WHERE {among} AND (reason IS NULL OR reason NOT LIKE ?)",
                            [*params, not_reason_prefix + "%"]))


def _latest(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{pseudonym: the latest of ``rows`` with it}."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        held = latest.get(row["pseudonym"])
        if held is None or row["erased_at"] > held["erased_at"]:
            latest[row["pseudonym"]] = row
    return latest


def batch_erasures(db: Database, kelurahan_code: str, record_ids: list[str],
                   pseudonyms: list[str], not_reason_prefix: str
                   ) -> tuple[dict[str, dict], dict[str, dict[str, Any]]]:
    """What an arriving batch asks of ``erasures``, in one statement:
    (:func:`erasures_of` its record ids, :func:`requested_erasures` of its NIK
    pseudonyms)."""
    if not record_ids or not pseudonyms:
        return (erasures_of(db, kelurahan_code, record_ids),
                requested_erasures(db, pseudonyms, not_reason_prefix))
    ids, id_params = db.in_list("record_id", record_ids)
    among, params = db.in_list("pseudonym", pseudonyms)
    rows = db.query("SELECT *, (reason IS NULL OR reason NOT LIKE ?) AS requested FROM erasures"
                    f" WHERE (kelurahan_code = ? AND {ids}) OR {among}",
                    [not_reason_prefix + "%", kelurahan_code, *id_params, *params])
    wanted_ids, wanted = set(record_ids), set(pseudonyms)
    requested = []
    for row in rows:
        if row.pop("requested") and row["pseudonym"] in wanted:
            requested.append({k: row[k] for k in ("pseudonym", "erased_at", "kelurahan_code", "origin")})
    return {r["record_id"]: r for r in rows if r["kelurahan_code"] == kelurahan_code
            and r["record_id"] in wanted_ids}, _latest(requested)


def erasures_by_pseudonym(db: Database, pseudonym: str) -> list[dict[str, Any]]:
    """Erasures made for this NIK (by its pseudonym)."""
    return db.query("SELECT * FROM erasures WHERE pseudonym = ? ORDER BY id", (pseudonym,))


def list_erasures(db: Database, limit: int = 1000) -> list[dict[str, Any]]:
    """The latest erasures, newest first (for the audit)."""
    return db.query("SELECT * FROM erasures ORDER BY id DESC LIMIT ?", (limit,))


# Every table an erasure deletes rows from or updates (wipe_record, delete_traces and
# the updates it queues): what compaction rewrites. The erasures table and the trail
# only gain rows, with no personal value in them.
ERASURE_TABLES = ("records", "record_name_words", "findings", "dukcapil_checks",
                  "duplicate_flags", "updates")
# How long a compaction waits, per table, for the lock VACUUM FULL needs (a long
# export's read holds it off): any longer and every reader queued behind it waits too.
COMPACT_LOCK_TIMEOUT_MS = 5000
# SQLite: how long a checkpoint waits for a reader still on an old snapshot.
CHECKPOINT_WAIT_SECONDS = 10.0
# Beside central's database (in its data folder) while a compaction is owed: the
# next erasure, or `central privacy erase` of any NIK, finishes it.
PENDING_MARKER = "compaction.pending"


def _marker(db: Database) -> Path | None:
    return Path(db.data_dir) / PENDING_MARKER if db.data_dir is not None else None


def owe_compaction(db: Database) -> None:
    """Mark a compaction as owed (an erasure committed; :func:`compact` clears it)."""
    marker = _marker(db)
    if marker is not None:
        marker.touch(mode=0o600)


def compaction_pending(db: Database) -> bool:
    """Whether an earlier erasure's compaction is still owed."""
    marker = _marker(db)
    return marker is not None and marker.exists()


def compact(db: Database) -> bool:
    """After an erasure (outside any transaction), leave no readable copy of the
    deleted row versions in the database files; True when done.

    SQLite: ``secure_delete`` (on for every connection) already zeroed the old
    cells; the WAL, which holds the pages as they were, is checkpointed into the
    file and truncated. PostgreSQL: an UPDATE or DELETE leaves the old row version
    in its page, and a plain VACUUM only marks its space free (the bytes stay until
    something is written over them, in the table and in each index), so every
    table of :data:`ERASURE_TABLES` is rewritten by ``VACUUM FULL`` (new files,
    the old ones emptied; it locks the table while it runs: measured in
    docs/privacy.md). A table whose lock is not had within
    :data:`COMPACT_LOCK_TIMEOUT_MS` gets a plain VACUUM and the compaction stays
    owed (:data:`PENDING_MARKER`). What PostgreSQL's own WAL and base backups keep
    is the city's backup retention (docs/privacy.md)."""
    owe_compaction(db)  # until done: a process killed half-way leaves it owed
    marker = _marker(db)
    if db.dialect == "sqlite":
        done = checkpoint_truncate(db.conn, time.monotonic() + CHECKPOINT_WAIT_SECONDS)
    else:
        done = _vacuum_full(db)
    if done and marker is not None:
        marker.unlink(missing_ok=True)
    return done


# PostgreSQL: a transaction older than the erasure (a long export's read, a
# pg_dump, a verifier's page) still sees the old row versions, and VACUUM FULL then
# copies them into the new files: compaction waits this long for such transactions.
HORIZON_WAIT_SECONDS = 10.0
# Other sessions that may still see a row version the erasure replaced: any
# transaction of this database (or a standby's, through its WAL sender, with
# hot_standby_feedback) whose snapshot is older than it, and any transaction of the
# server still running that began before it (a new snapshot's horizon stops there,
# ours included). ``age`` compares the 32-bit transaction ids the views show.
_OLDER_THAN = """
SELECT count(*) AS n FROM (
  SELECT backend_xid AS xid, backend_xmin AS xmin, datname FROM pg_stat_activity
  WHERE pid <> pg_backend_pid()
  UNION ALL SELECT transaction, NULL, database FROM pg_prepared_xacts
  UNION ALL SELECT xmin, NULL, NULL FROM pg_replication_slots
) AS seen
WHERE age(seen.xid) >= age(?::text::xid)
   OR ((seen.datname = current_database() OR seen.datname IS NULL)
       AND age(seen.xmin) >= age(?::text::xid))
"""


def _wait_for_older_transactions(db: Database) -> bool:
    """Wait until no transaction that could still see the erased rows' old versions
    is open (at most :data:`HORIZON_WAIT_SECONDS`); True when none is."""
    now = db.one("SELECT mod(txid_current(), 4294967296) AS x")["x"]  # after the erasure commit
    deadline = time.monotonic() + HORIZON_WAIT_SECONDS
    while db.one(_OLDER_THAN, (str(now), str(now)))["n"]:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _vacuum_full(db: Database) -> bool:
    import psycopg

    if not _wait_for_older_transactions(db):
        return False  # VACUUM FULL would copy the old versions: the compaction stays owed
    done = True
    db.conn.execute(f"SET lock_timeout = {COMPACT_LOCK_TIMEOUT_MS}")
    try:
        for table in ERASURE_TABLES:
            if not _table_exists(db, table):
                continue
            try:
                db.conn.execute(f"VACUUM (FULL) {table}")
            except psycopg.errors.LockNotAvailable:
                done = False
                try:  # the space marked free at least (it takes no lock a reader waits for)
                    db.conn.execute(f"VACUUM {table}")
                except psycopg.errors.LockNotAvailable:
                    pass
    finally:
        db.conn.execute("RESET lock_timeout")
    return done


def finish_compaction(db: Database) -> bool | None:
    """Compact when an earlier compaction is owed; None when none was, else whether
    it is done now."""
    return compact(db) if compaction_pending(db) else None


def kelurahan_erasure_ids(db: Database, kelurahan_code: str) -> list[str]:
    """Record ids of the erasures a kelurahan sent (for its USB answers file)."""
    return [r["record_id"] for r in db.query(
        "SELECT record_id FROM erasures WHERE kelurahan_code = ? AND origin = 'kelurahan'"
        " ORDER BY id", (kelurahan_code,))]


# --- a data subject's copy (central privacy export) --------------------------------

# The city's source lists, keyed by NIK: what central holds about the person besides
# the records the kelurahan sent.
SOURCE_LISTS = ("dtsen", "bpjs_participants", "cohort", "jht_list")


def subject_records(db: Database, nik: str) -> list[dict[str, Any]]:
    """Every record held with this NIK, every column (an erased one holds no NIK)."""
    return db.query("SELECT * FROM records WHERE nik = ? ORDER BY central_id", (nik,))


def subject_findings(db: Database, central_id: int) -> list[dict[str, Any]]:
    """A record's findings, open and decided, oldest first."""
    return db.query("SELECT id, record_version, kind, source, evidence, status, raised_at,"
                    " raised_by, decided_by, decided_at, decision, reason FROM findings"
                    " WHERE central_id = ? ORDER BY id", (central_id,))


def subject_pairs(db: Database, central_id: int) -> list[dict[str, Any]]:
    """A record's likely-duplicate pairs: the other record by its ids only (another
    person's data is not theirs to have), the match and a verifier's decision."""
    return db.query(
        "SELECT o.kelurahan_code AS other_kelurahan_code, o.record_id AS other_record_id,"
        " d.match, d.flagged_at, d.decision, d.reason, d.decided_by, d.decided_at,"
        " CASE WHEN d.central_id_a = ? THEN 'a' ELSE 'b' END AS side"
        " FROM duplicate_flags d JOIN records o ON o.central_id ="
        " CASE WHEN d.central_id_a = ? THEN d.central_id_b ELSE d.central_id_a END"
        " WHERE d.central_id_a = ? OR d.central_id_b = ? ORDER BY d.flagged_at",
        (central_id, central_id, central_id, central_id))


def subject_checks(db: Database, central_id: int) -> list[dict[str, Any]]:
    """A record's Dukcapil checks (the answer codes and matched elements)."""
    return db.query("SELECT record_version, state, response_code, elements, attempts,"
                    " checked_at FROM dukcapil_checks WHERE central_id = ?"
                    " ORDER BY record_version", (central_id,))


def subject_updates(db: Database, kelurahan_code: str, record_id: str) -> list[dict[str, Any]]:
    """The decisions about a record sent (or waiting to go) to its kelurahan."""
    return db.query("SELECT seq, kind, payload, at FROM updates WHERE kelurahan_code = ?"
                    " AND record_id = ? ORDER BY seq", (kelurahan_code, record_id))


def subject_trail(db: Database, targets: list[str]) -> list[dict[str, Any]]:
    """Central's trail entries about these records (``KELURAHAN/RECORD_ID``)."""
    if not targets:
        return []
    among, params = db.in_list("record_id", targets)
    return db.query("SELECT seq, at, actor, role, action, record_id, changes, reason"
                    f" FROM audit_log WHERE {among} ORDER BY seq", params)


def subject_sources(db: Database, nik: str) -> dict[str, dict[str, Any] | None]:
    """The person's row in each of the city's source lists (None when not listed)."""
    return {table: db.one(f"SELECT * FROM {table} WHERE nik = ?", (nik,))
            for table in SOURCE_LISTS if _table_exists(db, table)}
