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
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from berjasa.database import transaction
from sync import hint_storage, storage
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, wire_size

log = logging.getLogger("berjasa.sync")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class HintPage:
    """One answer of ``GET /api/v1/hints`` (or the whole set a USB answers file carries)."""

    key_id: str
    secret: bytes
    key_created_at: str
    entries: list[tuple[str, bytes]]  # (kelurahan code, 16-byte hashes)
    cursor: str
    reset: bool
    more: bool
    server_time: str  # central's clock when it made the answer ("" from an older central)

    @property
    def records(self) -> int:
        return sum(len(blob) for _, blob in self.entries) // 16


def decode_page(page: Any) -> HintPage:
    """A hints answer checked and decoded; ValueError, KeyError, TypeError or
    binascii.Error when it is not one."""
    entries = []
    for entry in page["entries"]:
        blob = base64.b64decode(entry["hashes"], validate=True)
        if len(blob) % 16:
            raise ValueError("hint hashes not a multiple of 16 bytes")
        entries.append((str(entry["kelurahan_code"]), blob))
    return HintPage(str(page["key_id"]), base64.b64decode(page["key"], validate=True),
                    str(page.get("key_created_at", "")), entries, str(int(page["cursor"])),
                    bool(page["reset"]), bool(page.get("more")), str(page.get("server_time") or ""))


# What decode_page raises for an answer that is not a hints page.
MALFORMED = (ValueError, KeyError, TypeError, binascii.Error)


def store_page(conn, held_key_id: str, page: HintPage, pulled_at: str) -> None:
    """Store a page and move the cursor, in one transaction: a reset or another key
    drops the key and hashes held first. ``pulled_at``: when central made it, by
    central's clock where known (``hints_pulled_at`` is compared with a USB file's
    time, which is central's too)."""
    with transaction(conn):
        if page.reset or page.key_id != held_key_id:
            hint_storage.replace_key(conn, page.key_id, page.secret, page.key_created_at, now())
        hint_storage.add_hashes(conn, page.key_id, page.entries)
        storage.set_state(conn, "hints_key_id", page.key_id)
        storage.set_state(conn, "hints_cursor", page.cursor)
        storage.set_state(conn, "hints_pulled_at", pulled_at)


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
            page = decode_page(response.json())
        except (TransientError, CentralRefused, *MALFORMED) as exc:
            log.warning("duplicate hints not pulled: %s", exc)
            return
        store_page(conn, held, page, page.server_time or now())
        held, cursor = page.key_id, page.cursor
        if not page.more:
            return
