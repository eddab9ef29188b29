"""The personal values kept beside the kelurahan's audit trail (the ``audit_values``
table), outside the hash chain (docs/privacy.md, "Jejak audit").

For a personal field the chained entry holds keyed tags
(:func:`berjasa.pseudonyms.value_tag`) and the values themselves are kept here:
read back for a reader who may see them, each checked against its tag
(:class:`ValueTags`: a value edited after writing is never shown as the value
recorded), deleted at erasure (the chain still verifies), and proven one at a time
for an auditor (``berjasa audit prove``). The chain, its writing and its
verification are :mod:`server.storage.audit`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import operator
import sqlite3
from typing import Any

from berjasa.canonical import canonical_text
from berjasa.pseudonyms import TAG_PREFIX, key_for_connection, value_tag

# The field name under which a sealed free-text reason is kept (its tag is the
# entry's ``reason``).
REASON_FIELD = "_reason"


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
