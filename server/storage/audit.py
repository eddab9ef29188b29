"""The append-only, hash-chained audit trail of the kelurahan register.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any row breaks the chain from that row on. Triggers refuse
UPDATE and DELETE; :func:`verify_chain` finds what a hand edit of the file did.
The chain primitives (entry hash, verification, ``Actor``) are shared with
central in :mod:`berjasa.audit`; this module holds the kelurahan's SQL and sealing.

Personal values never enter the chain (docs/privacy.md, "Jejak audit"): for a
personal field the chained ``changes`` hold keyed tags
(:func:`berjasa.pseudonyms.value_tag`: HMAC-SHA256 with the data folder's key over
seq, field and value) and the values themselves go to ``audit_values``, outside
the chain. Erasure deletes a person's ``audit_values`` rows; the chain, which only
ever covered the tags, still verifies and still says who changed which field when.
An auditor given a value proves it with ``berjasa audit prove``.
"""

from __future__ import annotations

import hashlib
import hmac
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
from berjasa.canonical import canonical_text, stored_json
from berjasa.database import insert_rows, transaction, utc_now
from berjasa.pseudonyms import TAG_PREFIX, key_for_connection, value_tag
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
REASON_FIELD = "_reason"


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


class HeldValues(dict):
    """The personal values kept beside some entries, each checked against the tags
    its entry's chain holds: ``{seq: {field: [old, new]}}`` of the values that
    match, and :attr:`unmatched` ``{seq: [field, ...]}`` of those that do not (an
    edit of ``audit_values`` after writing: h2 report item 4). A value that does
    not match is never shown as the value recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.unmatched: dict[int, list[str]] = {}


def values_for(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> HeldValues:
    """The values kept beside these entries (rows of ``audit_log``), checked."""
    by_seq = {entry["seq"]: entry for entry in entries}
    seqs = list(by_seq)
    held = HeldValues()
    tags = ValueTags(key_for_connection(conn)) if seqs else None
    for start in range(0, len(seqs), 900):
        chunk = seqs[start:start + 900]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT seq, record_id, field, old_value, new_value FROM audit_values"
                            f" WHERE seq IN ({marks}) ORDER BY seq", chunk)
        for seq, group in itertools.groupby(rows, key=operator.itemgetter("seq")):
            group = list(group)
            wrong = tags.unmatched(by_seq[seq], group)
            if wrong:
                held.unmatched[seq] = wrong
            for row in group:
                if row["field"] not in wrong:
                    held.setdefault(seq, {})[row["field"]] = [
                        None if row["old_value"] is None else json.loads(row["old_value"]),
                        None if row["new_value"] is None else json.loads(row["new_value"])]
    return held


def with_values(entry: dict[str, Any], held: HeldValues) -> dict[str, Any]:
    """An entry as a reader who may see personal data sees it: the tags of the
    chain replaced by the values still held (erased values stay tags); the stored
    form is kept under ``sealed`` so the reader can still recompute the hash. A
    held value that does not match its tag stays a tag, and the entry names it in
    ``unmatched_values`` ("nilai tidak cocok dengan jejak")."""
    changes = json.loads(entry["changes"])
    reason = entry["reason"]
    for field, pair in (held.get(entry["seq"]) or {}).items():
        if field == REASON_FIELD:
            reason = pair[1]
        elif field in changes:
            changes[field] = pair
    shown = {**entry, "changes": changes, "reason": reason,
             "sealed": {"changes": entry["changes"], "reason": entry["reason"]}}
    if entry["seq"] in held.unmatched:
        shown["unmatched_values"] = held.unmatched[entry["seq"]]
    return shown


class ValueTags:
    """Recomputes the tags of held values (:func:`berjasa.pseudonyms.value_tag`)
    with the key's HMAC made once, to check rows of ``audit_values`` against the
    chain. A stored scalar (text, number) is its own canonical JSON, so only lists
    and objects are parsed and written again."""

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def tag(self, seq: int, field: str, stored: str | None) -> str | None:
        """The tag of a value stored as JSON text (``stored_json``); None for None."""
        if stored is None:
            return None
        text = stored if stored[:1] not in "[{" else canonical_text(json.loads(stored))
        mac = self._base.copy()
        mac.update(f"audit\n{seq}\n{field}\n{text}".encode())
        return TAG_PREFIX + mac.hexdigest()

    def unmatched(self, entry: dict[str, Any], rows: list[Any]) -> list[str]:
        """The fields of ``rows`` (one entry's ``audit_values``) whose values are not
        the ones the entry's chained tags stand for, or that name another record."""
        changes: dict[str, Any] | None = None
        wrong = []
        for row in rows:
            field, seq = row["field"], entry["seq"]
            if row["record_id"] != entry["record_id"]:
                wrong.append(field)
                continue
            if field == REASON_FIELD:
                chained = [None, entry["reason"]]
            else:
                if changes is None:
                    changes = json.loads(entry["changes"])
                chained = changes.get(field)
                if not isinstance(chained, list) or len(chained) != 2:
                    wrong.append(field)
                    continue
            if (self.tag(seq, field, row["old_value"]) != chained[0]
                    or self.tag(seq, field, row["new_value"]) != chained[1]):
                wrong.append(field)
        return wrong


def sealed_view(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as stored in the chain (tags, no personal values)."""
    return {**entry, "changes": json.loads(entry["changes"])}


def erase_values(conn: sqlite3.Connection, record_ids: list[str]) -> int:
    """Delete the personal values kept beside the entries of these records."""
    marks = ", ".join("?" * len(record_ids))
    return conn.execute(f"DELETE FROM audit_values WHERE record_id IN ({marks})",
                        record_ids).rowcount


def prove(conn: sqlite3.Connection, seq: int, field: str, value: Any) -> dict[str, Any]:
    """Whether entry ``seq`` recorded ``value`` for ``field`` (old or new side)."""
    row = conn.execute("SELECT * FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        return {"seq": seq, "found": False}
    key = key_for_connection(conn)
    tag = value_tag(key, seq, field, value)
    if field == REASON_FIELD:
        sides = ["new"] if row["reason"] == tag else []
    else:
        pair = json.loads(row["changes"]).get(field) or [None, None]
        sides = [side for side, stored in zip(("old", "new"), pair) if stored == tag]
    return {"seq": seq, "found": True, "at": row["at"], "actor": row["actor"],
            "action": row["action"], "record_id": row["record_id"], "field": field,
            "matches": sides, "proven": bool(sides)}


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
