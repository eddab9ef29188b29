"""The sync pull's second part: central's duplicate-hint key and the keyed hashes of
every active record city-wide (central/hints.py), stored for the kelurahan server,
which merges them with its own records into the phones' filter (server/field_dedupe.py).

Central answers ``reset: true`` when it holds another key than ours: the old key and
its hashes are dropped and the hashes start again from cursor 0. A page and the
cursor move in one transaction, so a cut link resumes where it stopped. A failure
here never fails the run's records: it is logged and the next run tries again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Any
from urllib.parse import quote

from berjasa.database import transaction
from sync import hint_storage, storage
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, wire_size

log = logging.getLogger("berjasa.sync")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _decode_page(page: dict[str, Any]) -> tuple[str, bytes, list[tuple[str, bytes]]]:
    key_id, secret = str(page["key_id"]), base64.b64decode(page["key"], validate=True)
    entries = []
    for entry in page["entries"]:
        blob = base64.b64decode(entry["hashes"], validate=True)
        if len(blob) % 16:
            raise ValueError("hint hashes not a multiple of 16 bytes")
        entries.append((str(entry["kelurahan_code"]), blob))
    return key_id, secret, entries


def pull_hints(run: RunState, conn, device: dict[str, Any], key) -> None:
    """Fetch the current key and the hashes after our cursor, page by page."""
    held = storage.get_state(conn, "hints_key_id", "") or ""
    cursor = storage.get_state(conn, "hints_cursor", "0") or "0"
    while run.can_start():
        # skip=own: this laptop's own records are in its filter already (server/field_dedupe.py)
        path = f"/api/v1/hints?key_id={quote(held)}&since={quote(cursor)}&skip=own"
        try:
            response = run.client.get_signed(key, device["device_id"], path)
            run.add(bytes_up=300, bytes_down=wire_size(dict(response.headers), len(response.content)))
            page = response.json()
            key_id, secret, entries = _decode_page(page)
            cursor_next, reset = str(int(page["cursor"])), bool(page["reset"])
        except (TransientError, CentralRefused, ValueError, KeyError, TypeError, binascii.Error) as exc:
            log.warning("duplicate hints not pulled: %s", exc)
            return
        with transaction(conn):
            if reset or key_id != held:
                hint_storage.replace_key(conn, key_id, secret, str(page.get("key_created_at", "")), _now())
            hint_storage.add_hashes(conn, key_id, entries)
            storage.set_state(conn, "hints_key_id", key_id)
            storage.set_state(conn, "hints_cursor", cursor_next)
            storage.set_state(conn, "hints_pulled_at", _now())
        held, cursor = key_id, cursor_next
        if not page.get("more"):
            return
