"""``berjasa sync resend``: after central was restored from a backup, the records
it accepted since that backup are gone there while this laptop shows them
"Terkirim ke pusat". The command queues every record central accepted
(``synced``, ``registered``) again; the next run (or ``sync export``) packs them
like new ones. Central answers a record it still holds with its earlier decision
(docs/sync-protocol.md, idempotency rule 4) and ingests one it lost, so resending
is harmless: the laptop's statuses do not move back, only a new decision of
central (a duplicate found meanwhile) changes a record, as for any answer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from berjasa.database import transaction, utc_now
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import SYNC_RUN_LOCK
from server.storage import outbox


class ResendError(Exception):
    """Why the records cannot be queued again now: one clear line."""


def queue_for_central_again(conn: sqlite3.Connection, data_dir: Path) -> int:
    """Queue every record central accepted to be sent again; how many. Holds the
    agent's run lock (a run in progress would pack half of them)."""
    held = try_lock(lock_dir(Path(data_dir)) / SYNC_RUN_LOCK)
    if held is None:
        raise ResendError("sinkronisasi lain sedang berjalan; coba lagi setelah selesai")
    with held, transaction(conn):
        return outbox.queue_accepted_again(conn, utc_now())
