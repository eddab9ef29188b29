"""The record history (``enrollment_history``) checked against the sealed trail
(docs/audit-chain.md "The record history is checked too"; SQL only here and in the
other storage modules).

The history is what the API's ``history`` of a record, the phone and a person's copy
of their data (``privacy export``) show, and what the maker-checker rule reads. Each of
its rows is written in the transaction that appends the record's trail entry for the
same change (an edit, a status change, a record recovered from central), so a record's
rows and those entries correspond one to one, in order. :func:`history_problem` walks
both, record by record, and compares each row with its entry: who, when (the row's time
is taken just before its entry's, in the same transaction), the verb, the status left,
every old and new value (a personal value against the keyed tag the chain holds for
it, as ``audit_values`` are checked), and the reason. A row changed, deleted or added
by hand names the entry it disagrees with and the parts that differ, never a value.

A record erased (or purged) has neither its row in ``enrollments`` nor its history:
its entries stay in the chain with nothing to compare. The row's ``version`` is not
in the trail and is not checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from berjasa.canonical import parse_json
from berjasa.pseudonyms import TAG_PREFIX, key_for_connection, value_tag

# The trail actions written with a history row, and the row's verb for the first two.
HISTORY_ACTIONS = {"enrollment.edit": "edit", "enrollment.recover": "recover",
                   "enrollment.status": None}
# How long before its entry a row's time may be (the row's time is taken first, at the
# start of the change; a 500-record sync answer appends its entries at the end).
EARLIEST_SECONDS = 120.0
MASKED = frozenset({"nik", "kk_number"})  # an edit's entry holds these masked
MISMATCH = "record history does not match the trail"
MISSING = "record history row missing (deleted?)"
EXTRA = "record history row without its trail entry"


def history_problem(conn: sqlite3.Connection, verbs: Mapping[str, str]
                    ) -> dict[str, Any] | None:
    """The first (lowest seq) history row that disagrees with the trail, as
    ``{"seq", "problem"}``, or None. ``verbs``: the history verb of each status a
    change moves to (``server.lifecycle.ACTIONS``)."""
    key = key_for_connection(conn)
    held = {row[0] for row in conn.execute("SELECT id FROM enrollments")}
    problems = []
    rows = _rows(conn)
    pending = next(rows, None)
    for record_id, entries in _entries(conn):
        mine = []
        while pending is not None and pending["enrollment_id"] <= record_id:
            if pending["enrollment_id"] < record_id:
                problems.append(_orphan(conn, pending))
            else:
                mine.append(pending)
            pending = next(rows, None)
        problems += _compare(key, verbs, record_id in held, entries, mine)
    while pending is not None:
        problems.append(_orphan(conn, pending))
        pending = next(rows, None)
    return min(problems, key=lambda p: p["seq"]) if problems else None


def row_mismatches(conn: sqlite3.Connection, record_id: str, verbs: Mapping[str, str]
                   ) -> list[list[str]]:
    """One record's history rows (oldest first, as ``enrollments.history`` reads them),
    each as the parts its trail entry does not stand for: ``[]`` for a genuine row,
    else names such as ``"changed_by"`` or ``"new_values.nik"`` (never a value), or
    ``["trail_entry"]`` for a row with no entry. Rows and entries are paired in
    order, as :func:`history_problem` pairs them: after a row deleted by hand, the
    rows that follow are compared with the wrong entries and marked too."""
    marks = ", ".join("?" * len(HISTORY_ACTIONS))
    entries = conn.execute(
        "SELECT seq, at, actor, action, record_id, changes, reason FROM audit_log"
        f" WHERE record_id = ? AND action IN ({marks}) ORDER BY seq",
        (record_id, *HISTORY_ACTIONS)).fetchall()
    rows = conn.execute("SELECT id, enrollment_id, status, changed_at, changed_by, action,"
                        " old_values, new_values, reason FROM enrollment_history"
                        " WHERE enrollment_id = ? ORDER BY id", (record_id,)).fetchall()
    key = key_for_connection(conn) if rows else b""
    return [_differences(key, verbs, entries[i], row) if i < len(entries) else ["trail_entry"]
            for i, row in enumerate(rows)]


def _entries(conn: sqlite3.Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each record's history entries, by record id, each record's in seq order."""
    marks = ", ".join("?" * len(HISTORY_ACTIONS))
    cursor = conn.execute(
        "SELECT seq, at, actor, action, record_id, changes, reason FROM audit_log"
        f" WHERE action IN ({marks}) AND record_id IS NOT NULL ORDER BY record_id, seq",
        tuple(HISTORY_ACTIONS))
    current, group = None, []
    for row in cursor:
        if row["record_id"] != current and group:
            yield current, group
            group = []
        current = row["record_id"]
        group.append(row)
    if group:
        yield current, group


def _rows(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    cursor = conn.execute("SELECT id, enrollment_id, status, changed_at, changed_by, action,"
                          " old_values, new_values, reason FROM enrollment_history"
                          " ORDER BY enrollment_id, id")
    yield from cursor


def _orphan(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any]:
    """A row of a record with no history entry at all: named at the record's first entry."""
    first = conn.execute("SELECT min(seq) FROM audit_log WHERE record_id = ?",
                         (row["enrollment_id"],)).fetchone()[0]
    return {"seq": int(first or 0), "problem": f"{EXTRA} (history id={row['id']})"}


def _compare(key: bytes, verbs: Mapping[str, str], held: bool, entries: list[dict[str, Any]],
             rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record's entries against its rows, in order."""
    if not rows and not held:
        return []  # erased or purged: the history went with the record
    problems = []
    for entry, row in zip(entries, rows):
        differs = _differences(key, verbs, entry, row)
        if differs:
            problems.append({"seq": entry["seq"], "problem": f"{MISMATCH} ({', '.join(differs)})"})
            break  # the rows after it are compared with the wrong entries
    else:
        if len(entries) > len(rows):
            problems.append({"seq": entries[len(rows)]["seq"], "problem": MISSING})
        elif len(rows) > len(entries):
            problems.append({"seq": entries[-1]["seq"],
                             "problem": f"{EXTRA} (history id={rows[len(entries)]['id']})"})
    return problems


def _differences(key: bytes, verbs: Mapping[str, str], entry: dict[str, Any],
                 row: dict[str, Any]) -> list[str]:
    """The parts of ``row`` its entry does not stand for (names only)."""
    seq = entry["seq"]
    changes = parse_json(entry["changes"])
    status = changes.get("status") if isinstance(changes.get("status"), list) else None
    differs = []
    if row["changed_by"] != entry["actor"]:
        differs.append("changed_by")
    if not _close_before(row["changed_at"], entry["at"]):
        differs.append("changed_at")
    verb = HISTORY_ACTIONS.get(entry["action"])
    if verb is None and status and status[0] != status[1]:
        verb = verbs.get(status[1])
    if verb is not None and row["action"] != verb:
        differs.append("action")
    if status and entry["action"] != "enrollment.recover" and row["status"] != status[0]:
        differs.append("status")
    try:
        old, new = parse_json(row["old_values"]), parse_json(row["new_values"])
    except ValueError:
        return [*differs, "old_values", "new_values"]
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [*differs, "old_values", "new_values"]
    for field in sorted(set(old) | set(new)):
        pair = changes.get(field)
        if not isinstance(pair, list) or len(pair) != 2:
            if old.get(field) != new.get(field) or field not in old:
                differs += [f"{side}_values.{field}" for side, values in (("old", old), ("new", new))
                            if field in values]
            continue
        for side, values, chained in (("old", old, pair[0]), ("new", new, pair[1])):
            if not _stands_for(key, seq, field, values.get(field), chained):
                differs.append(f"{side}_values.{field}")
    if not _stands_for(key, seq, "_reason", row["reason"], entry["reason"]):
        differs.append("reason")
    return differs


def _stands_for(key: bytes, seq: int, field: str, value: Any, chained: Any) -> bool:
    """Whether the chain's ``chained`` (a value in clear, or its keyed tag) is ``value``."""
    if not (isinstance(chained, str) and chained.startswith(TAG_PREFIX)):
        return value == chained
    if value_tag(key, seq, field, value) == chained:
        return True
    return field in MASKED and isinstance(value, str) and len(value) == 16 and value_tag(
        key, seq, field, value[:6] + "*" * 6 + value[-4:]) == chained


def _close_before(changed_at: Any, at: Any) -> bool:
    if isinstance(changed_at, str) and isinstance(at, str) and changed_at[:16] == at[:16] \
            and len(changed_at) == len(at) and changed_at[-6:] == at[-6:] == "+00:00" \
            and changed_at <= at:
        return True  # the same minute, not after (both as utc_now() writes them)
    try:
        gap = (datetime.fromisoformat(str(at)) - datetime.fromisoformat(str(changed_at)))
    except ValueError:
        return False
    return -1.0 <= gap.total_seconds() <= EARLIEST_SECONDS
