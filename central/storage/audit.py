"""SQL for central's audit trail (``audit_log``, its keyed seals ``audit_seals`` and
the record targets of entries that act on many records ``audit_targets``, all
append-only by trigger on both backends). The chain (entry format, hash,
verification) is :mod:`berjasa.audit`, the seal :mod:`berjasa.audit_seal`: each
entry is sealed in its own transaction by a key derived from central's data-folder
key (``Database.data_dir``), which is not in the database. An entry's targets are
written with it, in one bulk insert (``COPY`` on PostgreSQL), and its chained
``changes`` hold their count and digest (:mod:`central.trail`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from berjasa import audit_seal
from berjasa.audit import GENESIS_HASH, SYSTEM, Actor, next_entry
from berjasa.pseudonyms import load_key
from central.storage import trail_head
from central.storage.db import Database, utc_now

# Any fixed number: the PostgreSQL advisory lock that serialises trail appends.
AUDIT_LOCK_KEY = 7371_0003
FILTERS = {"actor": "actor = ?", "action": "action = ?", "since": "at >= ?", "until": "at < ?"}
# (target, outcome) rows of an entry: the records it acts on and what became of each
Targets = list[tuple[str, str]]


def append(db: Database, actor: Actor, action: str, record_id: str | None = None,
           changes: dict[str, Any] | None = None, reason: str | None = None,
           targets: Targets | None = None) -> int:
    """Append one entry (inside the caller's transaction, if any) and its record
    ``targets`` (distinct targets; the caller put their count and digest in
    ``changes``); its seq.

    When the trail ends before the last entry central's data folder witnessed (the
    database was restored from a backup: :mod:`central.storage.trail_head`), the seqs
    in between were the lost entries': they are never given out again. A
    ``central.restored`` entry (``berjasa central restored``) then takes the seq after
    them and declares the gap in its ``changes``; any other entry is preceded by such
    an entry, written by ``system``, before the restore is recorded."""
    key = seal_key(db)
    with db.transaction():
        if db.dialect == "postgresql":
            db.run("SELECT pg_advisory_xact_lock(?)", (AUDIT_LOCK_KEY,))
        last = db.one("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        went_back = trail_head.gap(db.data_dir, last)
        if went_back is not None:
            declared = restore_gap(last, went_back)
            jump = {"seq": went_back["seq"],
                    "entry_hash": last["entry_hash"] if last else GENESIS_HASH}
            if action == RESTORE_ACTION:
                changes = {**(changes or {}), **declared}
                last = jump
            else:
                last = _insert(db, key, next_entry(jump, utc_now(), SYSTEM, RESTORE_ACTION, None,
                                                   {**declared, "detected": [None, True]},
                                                   DETECTED_REASON))
        entry = _insert(db, key, next_entry(last, utc_now(), actor, action, record_id, changes,
                                            reason))
        if targets:
            db.insert_rows("audit_targets", ("seq", "target", "outcome"),
                           [(entry["seq"], target, outcome) for target, outcome in targets])
    return entry["seq"]


# The entry that records a restore of central's database (central/restores.py), and
# the reason of the one written for it when something else is appended first.
RESTORE_ACTION = "central.restored"
DETECTED_REASON = ("jejak audit pusat berakhir sebelum entri terakhir yang pernah ditulis: "
                   "basis data dipulihkan dari cadangan; nomor entri yang hilang tidak dipakai lagi")


def restore_gap(last: dict[str, Any] | None, head: dict[str, Any]) -> dict[str, Any]:
    """The chained facts of a restore's gap (:func:`berjasa.audit.declared_gap`): where the
    restored trail ends and the seq and hash the replaced one had reached."""
    return {"restored_last_seq": [None, int(last["seq"]) if last else 0],
            "previous_last_seq": [None, int(head["seq"])],
            "previous_last_hash": [None, head.get("entry_hash")]}


def _insert(db: Database, key: bytes, entry: dict[str, Any]) -> dict[str, Any]:
    """Write a hashed entry and its seal, witnessed in the data folder first."""
    trail_head.witness(db.data_dir, entry)
    db.run("INSERT INTO audit_log (seq, at, actor, role, action, record_id, changes, reason,"
           " address, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (entry["seq"], entry["at"], entry["actor"], entry["role"], entry["action"],
            entry["record_id"], entry["changes"], entry["reason"], entry["address"],
            entry["prev_hash"], entry["entry_hash"]))
    db.run("INSERT INTO audit_seals (seq, mac) VALUES (?, ?)",
           (entry["seq"], audit_seal.seal(key, entry["seq"], entry["entry_hash"])))
    return entry


class SealKeyMissing(RuntimeError):
    """A trail entry written on a database opened without central's data folder."""


def seal_key(db: Database) -> bytes:
    """The trail's seal key: derived from the data folder's ``privacy.key``."""
    if db.data_dir is None:
        raise SealKeyMissing("central's audit trail is sealed with the data folder's key: "
                             "open the database with data_dir")
    return audit_seal.seal_key(load_key(db.data_dir))


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """WHERE on ``audit_log``: the FILTERS, and ``targets`` (a list of KELURAHAN/RECORD_ID):
    the entries whose record_id is one of them or that name one among their targets."""
    clauses, params = [], []
    for name, clause in FILTERS.items():
        if filters.get(name):
            clauses.append(clause)
            params.append(filters[name])
    if "targets" in filters:
        targets = list(filters["targets"]) or [""]  # an unknown record: no entry
        marks = ", ".join("?" * len(targets))
        clauses.append(f"(audit_log.record_id IN ({marks}) OR audit_log.seq IN"
                       f" (SELECT t.seq FROM audit_targets t WHERE t.target IN ({marks})))")
        params += targets + targets
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _outcome(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """The column ``record_outcome`` (what the entry did to the record filtered for,
    from its targets) when ``targets`` filters, and its parameters."""
    if "targets" not in filters:
        return "", []
    targets = list(filters["targets"]) or [""]
    marks = ", ".join("?" * len(targets))
    return ((", (SELECT MIN(t.outcome) FROM audit_targets t WHERE t.seq = audit_log.seq"
            f" AND t.target IN ({marks})) AS record_outcome"), targets)


def list_entries(db: Database, filters: dict[str, Any], limit: int,
                 offset: int = 0, before: int | None = None) -> list[dict[str, Any]]:
    """Entries matching the filters, newest first; ``before``: only those older than
    that seq (a page that follows another: entries written meanwhile do not shift it)."""
    where, params = _where(filters)
    if before is not None:
        where += (" AND" if where else " WHERE") + " audit_log.seq < ?"
        params.append(before)
    column, first = _outcome(filters)
    return db.query(f"SELECT audit_log.*{column} FROM audit_log{where} ORDER BY seq DESC"
                    " LIMIT ? OFFSET ?", (*first, *params, limit, offset))


def iter_entries(db: Database, filters: dict[str, Any] | None = None,
                 page: int = 5000) -> Iterator[dict[str, Any]]:
    """Entries in chain order, fetched a page at a time (bounded memory)."""
    where, params = _where(filters or {})
    column, first = _outcome(filters or {})
    where = where + (" AND" if where else " WHERE") + " seq > ?"
    after = 0
    while True:
        rows = db.query(f"SELECT audit_log.*{column} FROM audit_log{where} ORDER BY seq LIMIT ?",
                        (*first, *params, after, page))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


def actions(db: Database) -> list[str]:
    """The distinct actions in the trail (for the filter list)."""
    return [r["action"] for r in db.query("SELECT DISTINCT action FROM audit_log ORDER BY action")]


def iter_sealed(db: Database, page: int = 5000, after: int = 0) -> Iterator[dict[str, Any]]:
    """Every entry (after seq ``after``) in chain order with its seal (``mac``, None
    when it has none), a page at a time."""
    while True:
        rows = db.query("SELECT l.*, s.mac FROM audit_log l LEFT JOIN audit_seals s"
                        " ON s.seq = l.seq WHERE l.seq > ? ORDER BY l.seq LIMIT ?", (after, page))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


def first_orphan_seal(db: Database, after: int) -> int | None:
    """The lowest seq after ``after`` that has a seal but no entry (None: none)."""
    row = db.one("SELECT min(s.seq) AS seq FROM audit_seals s LEFT JOIN audit_log l"
                 " ON l.seq = s.seq WHERE s.seq > ? AND l.seq IS NULL", (after,))
    return None if row is None or row["seq"] is None else int(row["seq"])


def targets_of(db: Database, seq: int) -> list[dict[str, Any]]:
    """The record targets of entry ``seq`` (``target``, ``outcome``), by target."""
    return db.query("SELECT target, outcome FROM audit_targets WHERE seq = ? ORDER BY target",
                    (seq,))


def seqs_with_targets(db: Database, after: int) -> list[int]:
    """The entries after seq ``after`` that have record targets."""
    return [int(r["seq"]) for r in db.query(
        "SELECT DISTINCT seq FROM audit_targets WHERE seq > ? ORDER BY seq", (after,))]


def record_targets(db: Database, ident: str) -> list[str]:
    """The KELURAHAN/RECORD_ID targets a record identifier names: a central id (digits),
    a record id (the kelurahan's UUID; every kelurahan that sent one), or
    KELURAHAN/RECORD_ID itself; also a record central only knows as erased (its
    tombstone). Empty when central never held it."""
    if ident.isascii() and ident.isdigit():
        rows = db.query("SELECT kelurahan_code, record_id FROM records WHERE central_id = ?",
                        (int(ident),)) if len(ident) < 19 else []
    elif "/" in ident:
        kelurahan, _, record_id = ident.partition("/")
        rows = db.query("SELECT kelurahan_code, record_id FROM records WHERE kelurahan_code = ?"
                        " AND record_id = ? UNION SELECT kelurahan_code, record_id FROM erasures"
                        " WHERE kelurahan_code = ? AND record_id = ?",
                        (kelurahan, record_id, kelurahan, record_id))
        return [f"{r['kelurahan_code']}/{r['record_id']}" for r in rows] or [ident]
    else:
        rows = db.query("SELECT kelurahan_code, record_id FROM records WHERE record_id = ?"
                        " UNION SELECT kelurahan_code, record_id FROM erasures WHERE record_id = ?",
                        (ident, ident))
    return sorted(f"{r['kelurahan_code']}/{r['record_id']}" for r in rows)


# The update kinds a recheck writes (central.recheck): what an import or a recheck did
# to each record, as the trail's record targets.
RECHECK_KINDS = ("registered", "rejected", "reaccepted", "eligibility")


def consequences_mark(db: Database) -> tuple[int, int]:
    """Where the updates and the findings end now: (last update seq, last finding id).
    Read under the ingest lock, in the transaction that then imports or rechecks."""
    row = db.one("SELECT (SELECT MAX(seq) FROM updates) AS updates,"
                 " (SELECT MAX(id) FROM findings) AS findings")
    return (int(row["updates"] or 0), int(row["findings"] or 0)) if row else (0, 0)


def consequences_since(db: Database, mark: tuple[int, int]) -> list[dict[str, Any]]:
    """What was done to records after ``mark`` in this transaction, one row each:
    ``{target, kind, payload}`` for the updates a recheck writes (``payload`` only for
    ``registered`` and ``rejected``: the coverage month, the reason codes) and
    ``{target, kind: "finding", payload: the finding's kind}`` for each finding raised."""
    kinds = ", ".join("?" * len(RECHECK_KINDS))
    updates = db.query(
        "SELECT kelurahan_code, record_id, kind, CASE WHEN kind IN ('registered', 'rejected')"
        f" THEN payload END AS payload FROM updates WHERE seq > ? AND kind IN ({kinds})"
        " ORDER BY seq", (mark[0], *RECHECK_KINDS))
    raised = db.query(
        "SELECT r.kelurahan_code, r.record_id, 'finding' AS kind, f.kind AS payload FROM findings f"
        " JOIN records r ON r.central_id = f.central_id WHERE f.id > ? ORDER BY f.id", (mark[1],))
    return [{"target": f"{row['kelurahan_code']}/{row['record_id']}", "kind": row["kind"],
             "payload": row["payload"]} for row in updates + raised]


def entry_hash_at(db: Database, seq: int) -> str | None:
    """The entry_hash stored at ``seq`` (None: no such entry), by primary key."""
    row = db.one("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq,))
    return row["entry_hash"] if row else None


def seal_unsealed(db: Database) -> tuple[int, int]:
    """Seal every entry that has no seal (one transaction); (entries sealed, last seq)."""
    key = seal_key(db)
    with db.transaction():
        rows = db.query("SELECT l.seq, l.entry_hash FROM audit_log l LEFT JOIN audit_seals s"
                        " ON s.seq = l.seq WHERE s.seq IS NULL ORDER BY l.seq")
        for row in rows:
            db.run("INSERT INTO audit_seals (seq, mac) VALUES (?, ?)",
                   (row["seq"], audit_seal.seal(key, row["seq"], row["entry_hash"])))
        last = db.one("SELECT max(seq) AS seq FROM audit_log")
    return len(rows), int(last["seq"] or 0) if last else 0
