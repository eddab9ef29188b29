"""The sync status panel on the queue page (template
``pages/partials/sync_status.html``) and its "Kirim sekarang" button: the same
data as ``GET /api/v1/sync/status`` and the same trigger as ``POST /api/v1/sync/run``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import current_app, redirect, url_for
from werkzeug.wrappers import Response

from server.db import get_db
from sync.status import sync_status as agent_status


def sync_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The summary the panel shows: last push, what waits, the last error."""
    state = agent_status(conn, attempts=1)
    last_push = state["last_push"] or {}
    error = {} if state["last_error_resolved"] else state["last_error"] or {}
    return {
        "registered": state["registered"],
        "running": state["running"],
        "last_push_at": last_push.get("at"),
        "last_push_by_stick": last_push.get("via") == "usb",
        "last_answers_by_stick_at": (state["usb"]["last_import"] or {}).get("at"),
        "pending": state["pending"]["records"],
        "central_rejected": state["statuses"]["central_rejected"],
        "last_error": error.get("error"),
        "last_error_at": error.get("finished_at"),
        # the retention purge the laptop's clock held back (sync/retention.py)
        "retention_held_back": (state["retention"]["held_back"] or {}).get("message"),
        "retention_held_since": (state["retention"]["held_back"] or {}).get("since"),
        "central_only": state["central_only"]["records"],
        "restored_from_backup": (state["restored_from_backup"] or {}).get("backup_created_at"),
    }


def sync_now() -> Response:
    """Start a sync run in the background and return to the queue."""
    from sync.scheduler import trigger_now  # on use: see server/api/sync_status.py

    data_dir = Path(current_app.config["DATA_DIR"])
    if sync_status(get_db())["registered"]:
        trigger_now(data_dir, current_app.config["SETTINGS"], "supervisor")
    return redirect(url_for("pages.queue", sync="started"))
