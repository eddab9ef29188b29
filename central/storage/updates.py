"""The update log central keeps for each kelurahan (SQL only): the ``updates`` table.

Every decision central makes about a record (accepted, duplicate, registered, sent
back, a likely-duplicate pair flagged...) is appended here in order; a kelurahan's
agent pulls the entries after the last ``seq`` it holds (``GET /api/v1/updates``,
:mod:`central.updates`), and a restored kelurahan reads them again with its records
(:mod:`central.recovery`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from central.storage.db import Database, placeholders
from central.storage.records import to_json

_UPDATE_KEYS = frozenset({"kelurahan_code", "record_id", "kind"})


def add_updates(db: Database, updates: Iterable[dict[str, Any]], at: str) -> None:
    """Append update entries ``{kelurahan_code, record_id, kind, ...payload}`` in
    order (their ``seq`` follows the list)."""
    rows = [(u["kelurahan_code"], u["record_id"], u["kind"], _payload_json(u), at)
            for u in updates]
    db.insert_rows("updates", ("kelurahan_code", "record_id", "kind", "payload", "at"), rows)


def _payload_json(update: dict[str, Any]) -> str:
    """The payload of an update entry as JSON text."""
    return to_json({k: v for k, v in update.items() if k not in _UPDATE_KEYS})


def updates_since(db: Database, kelurahan_code: str, since: int, limit: int,
                  skip_kinds: tuple[str, ...] = ()) -> list[dict]:
    """Update entries of a kelurahan after ``since``, oldest first; ``skip_kinds``
    leaves out kinds the caller already knows (the agent has every ``accepted``
    from its batch answers, and 20,000 of them would cost megabytes on a 1 Mbit/s link)."""
    skip = f" AND kind NOT IN ({placeholders(len(skip_kinds))})" if skip_kinds else ""
    rows = db.query("SELECT seq, kelurahan_code, record_id, kind, payload, at FROM updates"
                    f" WHERE kelurahan_code = ? AND seq > ?{skip} ORDER BY seq LIMIT ?",
                    (kelurahan_code, since, *skip_kinds, limit))
    out = []
    for row in rows:
        payload = json.loads(row.pop("payload"))
        out.append({**row, **payload})
    return out


def updates_of_records(db: Database, kelurahan_code: str, record_ids: list[str]) -> list[dict]:
    """Every update entry held for these records of a kelurahan, oldest first (the
    shape ``updates_since`` gives)."""
    if not record_ids:
        return []
    ids, params = db.in_list("record_id", record_ids)
    rows = db.query(f"SELECT seq, kelurahan_code, record_id, kind, payload, at FROM updates"
                    f" WHERE kelurahan_code = ? AND {ids} ORDER BY seq", [kelurahan_code, *params])
    out = []
    for row in rows:
        payload = json.loads(row.pop("payload"))
        out.append({**row, **payload})
    return out
