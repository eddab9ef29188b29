"""``POST /api/v1/auth/token``: trade a username and password for a bearer token."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint

from berjasa.web.bodies import read_json
from server import accounts
from server.db import get_db
from server.http import bearer_token, current_actor
from server.schemas.auth import TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Masuk dan token")
TOKEN_BODY_LIMIT = 16 * 1024


@blp.route("/token", methods=["POST"])
@blp.doc(
    security=[],
    requestBody={"required": True, "content": {"application/json": {"schema": TokenRequestSchema}}},
    responses={"200": {"description": "Token", "content": {"application/json": {"schema": TokenSchema}}},
               "401": {"description": "Nama pengguna atau kata sandi salah"},
               "429": {"description": "Terlalu banyak percobaan gagal"}},
)
def issue_token():
    """Check credentials (with lockout) and return a new token."""
    settings = current_app.config["SETTINGS"]
    body = read_json(TOKEN_BODY_LIMIT)
    body = body if isinstance(body, dict) else {}
    conn = get_db()
    user = accounts.authenticate(conn, body.get("username"), body.get("password"),
                                 request.remote_addr or "-", settings,
                                 name_key=accounts.login_name_key(current_app.secret_key))
    return accounts.issue_token(conn, user, settings)


@blp.route("/token", methods=["DELETE"])
@blp.doc(responses={"204": {"description": "Token dicabut"}})
def revoke_token():
    """Log out: revoke the token used for this call."""
    accounts.revoke_token(get_db(), bearer_token() or "", current_actor())
    return "", 204


@blp.route("/me", methods=["GET"])
def whoami():
    """Who this token belongs to."""
    return {"username": g.user["username"], "role": g.user["role"],
            "kelurahan_code": current_app.config["KELURAHAN_CODE"]}

