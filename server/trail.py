"""The kelurahan's audit trail as a service for the HTTP layer: a page of entries
as a role may see them, and the chain's verification (no HTTP, no SQL here; the
SQL and the sealing are :mod:`server.storage.audit`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from server.storage import audit as store

GENESIS_HASH = store.GENESIS_HASH


def shown(conn: sqlite3.Connection, entries: list[dict[str, Any]],
          personal: bool) -> list[dict[str, Any]]:
    """Entries as a reader sees them: with the personal values kept beside the chain
    when ``personal`` (``sealed`` keeps the chained form), else the chained form only
    (field names, who, when, keyed tags)."""
    if not personal:
        return [store.sealed_view(e) for e in entries]
    values = store.values_for(conn, [e["seq"] for e in entries])
    return [store.with_values(e, values.get(e["seq"])) for e in entries]


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


def verify(conn: sqlite3.Connection) -> tuple[int, dict[str, Any] | None]:
    """(entries checked, None) when the chain and its seals are intact, else the
    first broken entry ``{"seq", "problem"}``."""
    return store.verify_chain(conn)


def export_rows(conn: sqlite3.Connection, since: str | None = None, values: bool = False,
                chunk: int = 500) -> Iterator[dict[str, Any]]:
    """Entries in chain order for the auditor's CSV: the chained columns as stored
    (so the hashes can be recomputed from the file); with ``values``, also
    ``held_values`` (the personal values still kept beside the entry,
    ``{field: [old, new]}``) and ``held_reason`` (a reason's text): empty once the
    person was erased."""
    if not values:
        yield from store.iter_entries(conn, since=since)
        return
    batch: list[dict[str, Any]] = []
    for entry in store.iter_entries(conn, since=since):
        batch.append(entry)
        if len(batch) >= chunk:
            yield from _with_held(conn, batch)
            batch = []
    yield from _with_held(conn, batch)


def _with_held(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    values = store.values_for(conn, [e["seq"] for e in entries])
    for entry in entries:
        held = dict(values.get(entry["seq"]) or {})
        reason = held.pop(store.REASON_FIELD, None)
        yield {**entry, "held_values": json.dumps(held, ensure_ascii=False) if held else "",
               "held_reason": reason[1] if reason else ""}
