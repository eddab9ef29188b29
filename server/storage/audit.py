"""The append-only, hash-chained audit trail of the kelurahan register.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any row breaks the chain from that row on. Triggers refuse
UPDATE and DELETE; :func:`verify_chain` finds what a hand edit of the file did.
The chain primitives (entry hash, verification, ``Actor``) are shared with
central in :mod:`berjasa.audit`; this module writes, reads, seals and verifies the
kelurahan's chain.

Personal values never enter the chain (docs/privacy.md, "Jejak audit"): for a
personal field the chained ``changes`` hold keyed tags
(:func:`berjasa.pseudonyms.value_tag`: HMAC-SHA256 with the data folder's key over
seq, field and value) and the values themselves go to ``audit_values``, outside
the chain (:mod:`server.storage.audit_values`: read back checked against their
tags, erased, proven). Erasure deletes a person's ``audit_values`` rows; the chain,
which only ever covered the tags, still verifies and still says who changed which
field when. An auditor given a value proves it with ``berjasa audit prove``.
"""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from berjasa import audit_seal
from berjasa.audit import (  # noqa: F401  (Actor, SYSTEM: re-exported for callers)
    COLUMNS,
    GENESIS_HASH,
    SYSTEM,
    Actor,
    LastSeen,
    entry_hash,
    verify_entries,
)
from berjasa.canonical import stored_json
from berjasa.database import insert_rows, transaction, utc_now
from berjasa.pseudonyms import key_for_connection, value_tag
from server.storage.audit_values import REASON_FIELD, ValueTags
from server.storage.history_check import history_problem

# Values of these fields are personal data wherever they appear in an entry.
PERSONAL_FIELDS = frozenset({
    "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "mother_name", "phone", "occupation", "work_category", "monthly_income",
    "heir_name", "heir_relation", "heir_phone", "consent", "location", "captured_at", "notes",
    "disability", "review_reason", "kpj_number",
})
# About a record, every field is sealed except these bookkeeping ones: what was
# decided, by whom and when, and which other records were looked at, are about the
# work, not the person (an auditor reads them in clear). Not ``central_reason``: a
# verifier's send-back or rejection reason is free text that may name the person,
# like a review reason.
RECORD_BOOKKEEPING = frozenset({"status", "content_hash", "central_status", "version", "records",
                                "pseudonym", "decision", "reviewed_by", "reviewed_at",
                                "possible_duplicates"})


def _sealed(action: str, field: str) -> bool:
    """Whether a field's values go to ``audit_values`` (tags in the chain)."""
    if field in PERSONAL_FIELDS:
        return True
    return action.startswith("enrollment.") and field not in RECORD_BOOKKEEPING


def _reason_sealed(action: str) -> bool:
    """Free-text reasons about a record (review, edits) may name the person; the
    reason of an erasure or an account change is kept in clear."""
    return action.startswith("enrollment.")


def record_audit_entry(conn: sqlite3.Connection, actor: Actor, action: str,
                       record_id: str | None = None, changes: dict[str, Any] | None = None,
                       reason: str | None = None) -> int:
    """Append one entry inside the caller's transaction and return its sequence number."""
    return record_audit_entries(conn, actor, [(action, record_id, changes, reason)])[0]


AuditItem = tuple[str, str | None, dict[str, Any] | None, str | None]


def record_audit_entries(conn: sqlite3.Connection, actor: Actor, items: list[AuditItem],
                         key: bytes | None = None, first_seq: int | None = None) -> list[int]:
    """Append entries ``(action, record_id, changes, reason)`` in order, inside the
    caller's transaction, with one statement per table; their sequence numbers.
    Each entry is chained, sealed and split exactly as if appended alone. ``key``
    is the data folder's (:func:`key_for_connection`), when the caller has it.
    ``first_seq``: only a restore's entry, which skips the seqs the replaced trail
    had used (:func:`berjasa.audit.declared_gap`); never below the next seq."""
    if not items:
        return []
    key = key or key_for_connection(conn)
    last = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last["seq"], last["entry_hash"]) if last else (0, GENESIS_HASH)
    if first_seq is not None:
        seq = max(seq, first_seq - 1)
    sealing = audit_seal.seal_key(key)
    entries: list[dict[str, Any]] = []
    seals: list[tuple[int, str]] = []
    values: list[tuple] = []
    for action, record_id, changes, reason in items:
        seq += 1
        entry = _entry(key, seq, prev_hash, actor, action, record_id, changes, reason, values)
        entries.append(entry)
        seals.append((seq, audit_seal.seal(sealing, seq, entry["entry_hash"])))
        prev_hash = entry["entry_hash"]
    row = operator.itemgetter(*COLUMNS)
    insert_rows(conn, "audit_log", COLUMNS, [row(entry) for entry in entries])
    insert_rows(conn, "audit_seals", ("seq", "mac"), seals)
    insert_rows(conn, "audit_values", ("seq", "record_id", "field", "old_value", "new_value"),
                values)
    return [entry["seq"] for entry in entries]


def _entry(key: bytes, seq: int, prev_hash: str, actor: Actor, action: str,
           record_id: str | None, changes: dict[str, Any] | None, reason: str | None,
           values: list[tuple]) -> dict[str, Any]:
    """One hashed entry; the personal values it stands for are appended to ``values``."""
    chained: dict[str, Any] = {}
    for field, pair in (changes or {}).items():
        sealed = _sealed(action, field)
        if not sealed or not isinstance(pair, (list, tuple)) or len(pair) != 2:
            chained[field] = None if sealed else pair
            continue
        chained[field] = [value_tag(key, seq, field, v) for v in pair]
        values.append((seq, record_id, field, _json(pair[0]), _json(pair[1])))
    if reason is not None and _reason_sealed(action):
        values.append((seq, record_id, REASON_FIELD, None, _json(reason)))
        reason = value_tag(key, seq, REASON_FIELD, reason)
    entry = {
        "seq": seq,
        "at": utc_now(),
        "actor": actor.username,
        "role": actor.role,
        "action": action,
        "record_id": record_id,
        "changes": stored_json(chained),
        "reason": reason,
        "address": actor.address,
        "prev_hash": prev_hash,
    }
    entry["entry_hash"] = entry_hash(entry)
    return entry


def _json(value: Any) -> str | None:
    return None if value is None else stored_json(value)


def sealed_view(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as stored in the chain (tags, no personal values)."""
    return {**entry, "changes": json.loads(entry["changes"])}


def iter_entries(conn: sqlite3.Connection, since: str | None = None,
                 record_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Entries in chain order, optionally from a time or for one record."""
    sql = "SELECT * FROM audit_log WHERE 1=1"
    params: list[Any] = []
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if record_id:
        sql += " AND record_id = ?"
        params.append(record_id)
    for row in conn.execute(sql + " ORDER BY seq", params):
        yield dict(row)


def list_entries(conn: sqlite3.Connection, *, after_seq: int = 0, limit: int = 100,
                 since: str | None = None, record_id: str | None = None,
                 action: str | None = None) -> list[dict[str, Any]]:
    """A page of entries in chain order, after a sequence number."""
    sql = "SELECT * FROM audit_log WHERE seq > ?"
    params: list[Any] = [after_seq]
    for column, value in (("at >=", since), ("record_id =", record_id), ("action =", action)):
        if value:
            sql += f" AND {column} ?"
            params.append(value)
    rows = conn.execute(sql + " ORDER BY seq LIMIT ?", (*params, limit))
    return [dict(row) for row in rows]


def newest_entry_time(conn: sqlite3.Connection) -> str | None:
    """The time of the latest entry (the retention purge's check of the clock)."""
    row = conn.execute("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return row["at"] if row else None


def _folder(conn: sqlite3.Connection):
    from pathlib import Path

    return Path(conn.execute("PRAGMA database_list").fetchone()[2]).parent


def seal_unsealed(conn: sqlite3.Connection) -> int:
    """Seal the entries written before sealing existed, once per data folder and
    only when the chain verifies (so a forgery is never sealed); the number sealed."""
    def seal_all() -> tuple[int, int]:
        key = audit_seal.seal_key(key_for_connection(conn))
        with transaction(conn):
            rows = conn.execute("SELECT l.seq, l.entry_hash FROM audit_log l LEFT JOIN audit_seals s"
                                " ON s.seq = l.seq WHERE s.seq IS NULL ORDER BY l.seq").fetchall()
            conn.executemany("INSERT INTO audit_seals (seq, mac) VALUES (?, ?)",
                             [(r["seq"], audit_seal.seal(key, r["seq"], r["entry_hash"])) for r in rows])
            last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0
        return len(rows), last

    return audit_seal.backfill_once(
        _folder(conn), lambda: verify_chain(conn, seals=False)[1] is None, seal_all)


def unsealed(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> set[int]:
    """The seqs of these entries whose content no longer gives their hash, or whose
    seal is missing or wrong: a page showing a few entries checks them itself
    (``audit verify`` checks the whole chain)."""
    if not entries:
        return set()
    seqs = [entry["seq"] for entry in entries]
    macs: dict[int, str] = {}
    for start in range(0, len(seqs), 900):
        chunk = seqs[start:start + 900]
        macs.update(conn.execute(f"SELECT seq, mac FROM audit_seals WHERE seq IN"
                                 f" ({', '.join('?' * len(chunk))})", chunk).fetchall())
    key = audit_seal.seal_key(key_for_connection(conn))
    return {entry["seq"] for entry in entries
            if entry_hash(entry) != entry["entry_hash"]
            or not audit_seal.seal_matches(key, entry["seq"], entry["entry_hash"],
                                           macs.get(entry["seq"]))}


# What verify reports for an entry whose values kept beside it were changed.
VALUE_PROBLEM = "held value does not match the trail"


def verify_chain(conn: sqlite3.Connection, seals: bool = True,
                 history_verbs: Mapping[str, str] | None = None,
                 ) -> tuple[int, dict[str, Any] | None]:
    """Recompute the chain (:func:`berjasa.audit.verify_entries`, shared with
    central), check every entry's keyed seal (berjasa.audit_seal) and every
    personal value kept beside an entry (``audit_values``) against the tag the
    chain holds for it (what the auditor is shown: h2 report item 4); with
    ``history_verbs`` (the history verb of each status, ``server.lifecycle.ACTIONS``),
    once the chain is intact, every row of the record history too
    (:mod:`server.storage.history_check`).
    Returns (entries checked, None) when intact, else (entries checked,
    {"seq", "problem"}) naming the first broken entry."""
    if not seals:
        return verify_entries(iter_entries(conn))
    macs: dict[int, str] = dict(conn.execute("SELECT seq, mac FROM audit_seals").fetchall())
    folder_key = key_for_connection(conn)
    key = audit_seal.seal_key(folder_key)
    held = _HeldStream(conn, ValueTags(folder_key))

    def check(entry: dict[str, Any]) -> str | None:
        return (audit_seal.seal_problem(key, entry["seq"], entry["entry_hash"],
                                        macs.get(entry["seq"])) or held.problem(entry))

    entries = LastSeen(iter_entries(conn))
    checked, broken = verify_entries(entries, check)
    last = entries.last["seq"] if entries.last is not None and broken is None else checked
    # an intact chain runs 1..last: a seal beyond it outlived deleted entries
    broken = broken or held.orphan() or audit_seal.orphan_seal(
        min((s for s in macs if s > last), default=None))
    if broken is None and history_verbs is not None:
        broken = history_problem(conn, history_verbs)
    return checked, broken


class _HeldStream:
    """The rows of ``audit_values`` in seq order, walked beside the chain (one
    pass, nothing held in memory but one entry's rows)."""

    def __init__(self, conn: sqlite3.Connection, tags: ValueTags) -> None:
        rows = conn.execute("SELECT seq, record_id, field, old_value, new_value"
                            " FROM audit_values ORDER BY seq")
        self._groups = itertools.groupby(rows, key=operator.itemgetter("seq"))
        self._tags = tags
        self._next: tuple[int, list] | None = None
        self._advance()

    def _advance(self) -> None:
        group = next(self._groups, None)
        self._next = None if group is None else (group[0], list(group[1]))

    def problem(self, entry: dict[str, Any]) -> str | None:
        if self._next is not None and self._next[0] < entry["seq"]:
            return f"{VALUE_PROBLEM} (values of seq={self._next[0]}, which the chain lacks)"
        if self._next is None or self._next[0] != entry["seq"]:
            return None
        wrong = self._tags.unmatched(entry, self._next[1])
        self._advance()
        return f"{VALUE_PROBLEM} ({', '.join(wrong)})" if wrong else None

    def orphan(self) -> dict[str, Any] | None:
        """Values left for an entry the chain does not hold (its seq is gone)."""
        if self._next is None:
            return None
        return {"seq": self._next[0], "problem": f"{VALUE_PROBLEM} (no such entry)"}
