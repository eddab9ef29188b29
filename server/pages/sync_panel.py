"""The sync status panel on the queue page (template
``pages/partials/sync_status.html``).

PLACEHOLDER for the sync agent engineer: return a summary such as
``{"last_push_at", "pending", "last_error"}`` from the sync agent's tables (the
same data as ``GET /api/v1/sync/status``); ``None`` shows "belum tersedia".
"""

from __future__ import annotations

import sqlite3
from typing import Any


def sync_status(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The sync summary for the panel, or None while the agent provides none."""
    return None
