"""``GET /health``: is the server up and its database readable (no auth)."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from berjasa import __version__
from berjasa.database import ping
from berjasa.web.arguments import Blueprint
from server.db import get_db

blp = Blueprint("health", __name__, description="Kesehatan server")


class HealthSchema(Schema):
    """The server's answer when it and its database work."""

    status = fields.String(metadata={"enum": ["ok"]})
    version = fields.String()
    component = fields.String()
    kelurahan_code = fields.String()


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema, description="Server berjalan")
@blp.doc(security=[])
def health():
    """Answer 200 when the server and its database work."""
    ping(get_db())
    return {"status": "ok", "version": __version__, "component": "kelurahan",
            "kelurahan_code": current_app.config["KELURAHAN_CODE"]}
