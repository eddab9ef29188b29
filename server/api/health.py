"""``GET /health``: is the server up and its database readable (no auth)."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from berjasa import __version__
from berjasa.database import ping
from server.db import get_db

blp = Blueprint("health", __name__, description="Kesehatan server")


@blp.route("/health", methods=["GET"])
@blp.doc(security=[], responses={"200": {"description": "Server berjalan"}})
def health():
    """Answer 200 when the server and its database work."""
    ping(get_db())
    return {"status": "ok", "version": __version__, "component": "kelurahan",
            "kelurahan_code": current_app.config["KELURAHAN_CODE"]}
