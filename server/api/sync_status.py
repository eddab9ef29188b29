"""``/api/v1/sync``: the sync agent's state for the supervisor page, and "sync
now". Handlers call :mod:`sync.status` and :mod:`sync.scheduler`; no SQL here."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from berjasa.enrollment_fields import StrictBoolean
from berjasa.web.arguments import Blueprint, JsonBody
from server.db import get_db
from sync.status import sync_status

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Sinkronisasi ke pusat")


class SyncRunSchema(JsonBody):
    """Optional body of "sync now"; without one the run starts in the background."""

    body_limit = 4096
    body_optional = True

    wait = StrictBoolean(load_default=False,
                         metadata={"description": "true: tunggu sampai selesai, jawab laporannya"})


@blp.route("/sync/status", methods=["GET"])
@blp.doc(responses={"200": {"description": "Last push, pending counts, last error, recent runs"}})
def status():
    """The sync state: last push, records waiting, the last error, recent attempts."""
    return sync_status(get_db())


@blp.route("/sync/run", methods=["POST"])
@blp.arguments(SyncRunSchema, required=False)
@blp.doc(responses={"202": {"description": "A run was started in the background"},
                    "200": {"description": "With {\"wait\": true}: the run's report"}})
def run_now(body: dict):
    """"Sync now": start a run (a second one while one is going records ``busy``).
    With ``{"wait": true}`` the answer is the finished run's report."""
    # imported here: the agent brings requests and APScheduler, which ``serve`` needs
    # only when somebody presses "sync now" (importing the app: about 0.3 s of CPU
    # instead of 0.5 s; tests/cli/test_startup.py)
    from sync.agent import run_once
    from sync.scheduler import trigger_now

    data_dir = Path(current_app.config["DATA_DIR"])
    if body["wait"]:
        report = run_once(data_dir, current_app.config["SETTINGS"], "supervisor")
        return report.as_dict(), 200
    trigger_now(data_dir, current_app.config["SETTINGS"], "supervisor")
    return {"started": True}, 202
