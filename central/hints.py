"""Central's side of the phone's duplicate hints (docs/central.md "Duplicate hints").

Central holds one secret key at a time. With the sync pull (``GET /api/v1/hints``)
a kelurahan agent gets the key and, page by page, 16 bytes per active record: the
8-byte keyed hashes (berjasa/hints.py) of its NIK item and of its name + birth date
item, grouped by kelurahan code; never a NIK, name or date. The kelurahan hashes its
own records with the same key and serves one filter to its phones.

The key is replaced after ``central_hint_key_days`` and when the active set has
changed by more than ``central_hint_key_change`` since the key was made; a kelurahan
holding another key id then gets ``reset: true`` and everything again from the start.
Old hashes die with the old key: a record that left the active set (erased, replaced)
stays in phones' filters until the next key at most.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from berjasa import hints
from central.storage import hints as store
from central.storage.db import Database, utc_now

# The settings a hints answer is made with.
SETTINGS = ("central_hint_key_days", "central_hint_key_change", "central_hints_page_size")


def _parse(at: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def rotation_due(key: dict[str, Any] | None, now: str, active: int, added: int,
                 max_days: float, max_change: float) -> bool:
    """Whether the key must be replaced: none yet, too old, or its set changed too much
    (records added since it was made, or the active count moved, over the share)."""
    if key is None:
        return True
    if _parse(now) - _parse(key["created_at"]) >= dt.timedelta(days=max_days):
        return True
    base = max(int(key["active_count"]), 1)
    return max(added, abs(active - int(key["active_count"]))) / base > max_change


def current_key(db: Database, settings: dict[str, Any]) -> dict[str, Any]:
    """The key in force, replaced first when due."""
    key = store.current_key(db)
    now = utc_now()
    active = store.active_count(db)
    added = store.added_since(db, key["created_at"]) if key else 0
    if rotation_due(key, now, active, added, float(settings["central_hint_key_days"]),
                    float(settings["central_hint_key_change"])):
        new = hints.HintKey.new()
        store.replace_key(db, new.key_id, new.secret.hex(), now, active)
        key = store.current_key(db)
    return key


def page(db: Database, settings: dict[str, Any], held_key_id: str, since: int,
         skip_device: str | None = None) -> dict[str, Any]:
    """One ``GET /api/v1/hints`` answer for an agent holding ``held_key_id`` up to ``since``;
    ``skip_device``: leave out the records that device sent (``?skip=own``)."""
    key = current_key(db, settings)
    secret = bytes.fromhex(key["secret"])
    reset = held_key_id != key["key_id"]
    after = 0 if reset else since
    limit = int(settings["central_hints_page_size"])
    rows = store.active_identities(db, after, limit + 1, skip_device)
    more = len(rows) > limit
    rows = rows[:limit]
    grouped: dict[str, list[bytes]] = {}
    for row in rows:
        grouped.setdefault(row["kelurahan_code"], []).append(
            hints.record_hashes(secret, row["nik"], row["full_name"] or "", row["birth_date"] or ""))
    return {
        "key_id": key["key_id"],
        "key": base64.b64encode(secret).decode("ascii"),
        "key_created_at": key["created_at"],
        "reset": reset,
        "entries": [{"kelurahan_code": code, "hashes": base64.b64encode(b"".join(blobs)).decode("ascii")}
                    for code, blobs in sorted(grouped.items())],
        "cursor": str(rows[-1]["central_id"] if rows else after),
        "more": more,
        "server_time": utc_now(),
    }


def full_set(db: Database, settings: dict[str, Any], skip_device: str | None = None,
             tries: int = 3) -> dict[str, Any]:
    """The current key and the hashes of every active record (but ``skip_device``'s),
    as one answer from cursor 0 with ``reset: true`` and ``more: false``: what the online
    pull brings page by page, for a laptop that syncs by USB stick. Begun again if the
    key is replaced between two pages."""
    first = page(db, settings, "", 0, skip_device)
    entries, last = list(first["entries"]), first
    while last["more"]:
        last = page(db, settings, first["key_id"], int(last["cursor"]), skip_device)
        if last["reset"]:  # a new key meanwhile: its hashes start from 0
            if tries <= 1:
                raise RuntimeError("the duplicate-hint key kept changing while it was read")
            return full_set(db, settings, skip_device, tries - 1)
        entries += last["entries"]
    return {**first, "entries": entries, "cursor": last["cursor"], "more": False}


def hashed_records(answer: dict[str, Any]) -> int:
    """How many records' hashes a hints answer carries (16 bytes each)."""
    return sum(len(base64.b64decode(entry["hashes"])) for entry in answer["entries"]) // 16
