"""The kelurahan's audit trail as a service for the HTTP layer: a page of entries
as a role may see them, and the chain's verification (no HTTP, no SQL here; the
SQL and the sealing are :mod:`server.storage.audit` and
:mod:`server.storage.audit_values`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from berjasa.audit import RESTORE_ACTION
from berjasa.local_time import wita, wita_column
from server import backup_trail, lifecycle
from server.storage import audit as store
from server.storage import audit_values, enrollments
from server.storage.history_check import row_mismatches

GENESIS_HASH = store.GENESIS_HASH


def shown(conn: sqlite3.Connection, entries: list[dict[str, Any]],
          personal: bool) -> list[dict[str, Any]]:
    """Entries as a reader sees them: with the personal values kept beside the chain
    when ``personal`` (``sealed`` keeps the chained form), else the chained form only
    (field names, who, when, keyed tags)."""
    if not personal:
        return [store.sealed_view(e) for e in entries]
    held = audit_values.values_for(conn, entries)
    return [audit_values.with_values(e, held) for e in entries]


def page(conn: sqlite3.Connection, *, after: int, limit: int, personal: bool,
         since: str | None = None, record_id: str | None = None,
         action: str | None = None) -> dict[str, Any]:
    """Up to ``limit`` entries after sequence number ``after`` (chain order), the
    cursor of the next page (None at the end) and the chain's genesis hash."""
    entries = store.list_entries(conn, after_seq=after, limit=limit + 1, since=since,
                                 record_id=record_id, action=action)
    items = entries[:limit]
    return {"items": shown(conn, items, personal),
            "next_cursor": items[-1]["seq"] if len(entries) > limit else None,
            "genesis_hash": GENESIS_HASH}


# The verb of a record's history line for each kind of entry (the review page's
# "Tindakan"); a status move takes the lifecycle's verb for its target status.
CREATED, EDITED, CENTRAL = "create", "edit", "central_reject"


def record_history(conn: sqlite3.Connection, record_id: str) -> list[dict[str, Any]]:
    """A record's history as the review page shows it, read from the sealed trail
    (h2 report item 4): its creation, every edit and every status move, oldest
    first, each with who and when from the chain and the old and new values kept
    beside it (only those that match the chain's tags). Each line: ``changed_at``,
    ``changed_by``, ``action``, ``old_values``, ``new_values``, ``reason``,
    ``unmatched`` (fields, ``_reason`` included, whose kept value does not match:
    shown as such, never as the value) and ``entry_broken`` (the entry itself no
    longer matches its hash or its seal). NIK and KK in edits are masked, as the
    trail holds them."""
    entries = [e for e in store.iter_entries(conn, record_id=record_id)
               if e["action"].startswith("enrollment.")]
    held = audit_values.values_for(conn, entries)
    broken = store.unsealed(conn, entries)
    lines = []
    for entry in entries:
        shown = audit_values.with_values(entry, held)
        pairs = {field: pair for field, pair in shown["changes"].items()
                 if isinstance(pair, list) and len(pair) == 2}
        status = pairs.get("status")
        if entry["action"] == "enrollment.create":
            action = CREATED
        elif entry["action"] == "enrollment.edit":
            action = EDITED
        else:
            action = lifecycle.ACTIONS.get(status[1], CENTRAL) if status else CENTRAL
        lines.append({"seq": entry["seq"], "changed_at": entry["at"],
                      "changed_by": entry["actor"], "action": action,
                      "old_values": {field: pair[0] for field, pair in pairs.items()},
                      "new_values": {field: pair[1] for field, pair in pairs.items()},
                      "reason": shown["reason"],
                      "unmatched": shown.get("unmatched_values", []),
                      "entry_broken": entry["seq"] in broken})
    return lines


def checked_history(conn: sqlite3.Connection, enrollment_id: str) -> list[dict[str, Any]]:
    """A record's earlier versions and decisions as stored (``enrollment_history``),
    oldest first, each checked against the sealed trail
    (:func:`server.storage.history_check.row_mismatches`, as ``audit verify`` checks it):
    ``verified``, and ``mismatch``, the parts its trail entry does not stand for (names
    only, never a value; empty when verified). The ``history`` of the API's record
    (``HistoryEntry``) and of a person's copy of their data (``privacy export``)."""
    rows = enrollments.history(conn, enrollment_id)
    # Read after the rows: a row appended meanwhile only adds a check at the end.
    checks = row_mismatches(conn, enrollment_id, lifecycle.ACTIONS)
    for index, row in enumerate(rows):
        parts = checks[index] if index < len(checks) else ["trail_entry"]
        row["verified"], row["mismatch"] = not parts, parts
    return rows


def verify(conn: sqlite3.Connection) -> tuple[int, dict[str, Any] | None]:
    """(entries checked, None) when the chain, its seals, the values kept beside it
    and the record history are intact, else the first broken entry ``{"seq",
    "problem"}``."""
    return store.verify_chain(conn, history_verbs=lifecycle.ACTIONS)


def restores(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every restore from a backup the trail records, oldest first, each a break in
    its continuity (server/backup_trail.py): when, who, which backup, and the seqs
    of the replaced trail this one lacks (``lost``)."""
    return backup_trail.restores(store.list_entries(conn, action=RESTORE_ACTION,
                                                    limit=1_000_000))


def restore_lines(found: list[dict[str, Any]]) -> list[str]:
    """:func:`restores` as ``audit verify`` says them, one line each."""
    lines = []
    for item in found:
        made = wita(item["backup_made_at"], seconds=True) if item["backup_made_at"] else "?"
        line = (f"Catatan: seq={item['seq']} ({wita(item['at'], seconds=True)}, {item['actor']}): "
                f"jejak dipulihkan dari cadangan {item['backup']} (dibuat {made})")
        if item["lost"]:
            first, last = item["lost"]
            line += (f"; entri seq={first}..{last} jejak sebelumnya tidak ada di jejak ini "
                     f"(jejak itu: {item['previous_trail']}), nomornya tidak dipakai lagi")
        elif item["previous_trail"] in ("unreadable", "none", "empty"):
            line += {"unreadable": "; jejak sebelumnya tidak terbaca (basis data rusak)",
                     "none": "; folder ini belum punya jejak sebelumnya",
                     "empty": "; jejak sebelumnya kosong"}[item["previous_trail"]]
        lines.append(line + ".")
    return lines


def export_rows(conn: sqlite3.Connection, since: str | None = None, values: bool = False,
                chunk: int = 500) -> Iterator[dict[str, Any]]:
    """Entries in chain order for the auditor's CSV: the chained columns as stored
    (so the hashes can be recomputed from the file) and ``at_wita`` (``at`` in
    Makassar time, not chained); with ``values``, also
    ``held_values`` (the personal values still kept beside the entry,
    ``{field: [old, new]}``) and ``held_reason`` (a reason's text): empty once the
    person was erased; ``held_mismatch`` names the fields whose held value does not
    match the chain's tag (left out of the other two: h2 report item 4)."""
    if not values:
        for entry in store.iter_entries(conn, since=since):
            yield {**entry, "at_wita": wita_column(entry["at"])}
        return
    batch: list[dict[str, Any]] = []
    for entry in store.iter_entries(conn, since=since):
        batch.append(entry)
        if len(batch) >= chunk:
            yield from _with_held(conn, batch)
            batch = []
    yield from _with_held(conn, batch)


def _with_held(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    values = audit_values.values_for(conn, entries)
    for entry in entries:
        held = dict(values.get(entry["seq"]) or {})
        reason = held.pop(audit_values.REASON_FIELD, None)
        yield {**entry, "at_wita": wita_column(entry["at"]),
               "held_values": json.dumps(held, ensure_ascii=False) if held else "",
               "held_reason": reason[1] if reason else "",
               "held_mismatch": ", ".join(values.unmatched.get(entry["seq"], []))}
