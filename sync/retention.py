"""The scheduled agent applies the retention settings once a day
(``berjasa privacy purge``, docs/privacy.md "Retensi"); the time of the last purge
is kept in the agent state, so a restarted agent does not purge again at once."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from berjasa.database import connect, transaction
from berjasa.paths import kelurahan_db_path
from server import privacy
from server.storage.audit import Actor
from sync import storage

log = logging.getLogger("berjasa.sync")
AGENT = Actor("agen-sinkronisasi", "system")
EVERY = timedelta(days=1)


def purge_if_due(data_dir: Path, settings: dict[str, Any],
                 now: datetime | None = None) -> dict[str, Any] | None:
    """Purge when the last purge is a day old (or never ran); the purge's counts,
    or None when it was not due. A failure is logged, never raised: it must not
    stop the sync schedule."""
    now = now or datetime.now(timezone.utc)
    try:
        conn = connect(kelurahan_db_path(Path(data_dir)))
    except sqlite3.Error:  # no database yet: nothing to purge
        return None
    try:
        last = storage.get_state(conn, "retention_last_purge")
        if last and now - datetime.fromisoformat(last) < EVERY:
            return None
        counts = privacy.purge(conn, settings, AGENT, now=now)
        with transaction(conn):
            storage.set_state(conn, "retention_last_purge", now.isoformat())
        log.info("retention purge: %s", {k: v for k, v in counts.items() if k != "at"})
        return counts
    except Exception:  # logged with its traceback (NIK masked); the schedule goes on
        log.exception("retention purge failed")
        return None
    finally:
        conn.close()
