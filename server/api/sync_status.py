"""``/api/v1/sync``: the sync agent's state for the supervisor page, and "sync
now". Handlers call :mod:`sync.status` and :mod:`sync.scheduler`; no SQL here."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_smorest import Blueprint

from berjasa.web.bodies import read_json
from server.db import get_db
from sync.agent import run_once
from sync.scheduler import trigger_now
from sync.status import sync_status

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Sinkronisasi ke pusat")


@blp.route("/sync/status", methods=["GET"])
@blp.doc(responses={"200": {"description": "Last push, pending counts, last error, recent runs"}})
def status():
    """The sync state: last push, records waiting, the last error, recent attempts."""
    return sync_status(get_db())


@blp.route("/sync/run", methods=["POST"])
@blp.doc(responses={"202": {"description": "A run was started in the background"},
                    "200": {"description": "With {\"wait\": true}: the run's report"}})
def run_now():
    """"Sync now": start a run (a second one while one is going records ``busy``).
    With ``{"wait": true}`` the answer is the finished run's report."""
    body = read_json(4096) if request.content_length else {}
    data_dir = Path(current_app.config["DATA_DIR"])
    if isinstance(body, dict) and body.get("wait") is True:
        report = run_once(data_dir, current_app.config["SETTINGS"], "supervisor")
        return report.as_dict(), 200
    trigger_now(data_dir, current_app.config["SETTINGS"], "supervisor")
    return {"started": True}, 202
