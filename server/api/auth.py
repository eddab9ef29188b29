"""``POST /api/v1/auth/token``: trade a username and password for a bearer token."""

from __future__ import annotations

from flask import current_app, g, request

from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint
from server import accounts
from server.db import get_db
from server.http import bearer_token, current_actor
from server.schemas.auth import TokenRequestSchema, TokenSchema, WhoAmISchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Masuk dan token")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema, description="Token")
@blp.doc(security=[], responses=problems(
    s401="Nama pengguna atau kata sandi salah, atau tidak diisi (bad_credentials)",
    s429="Terlalu banyak percobaan gagal (too_many_attempts, Retry-After)"))
def issue_token(body: dict):
    """Check credentials (with lockout) and return a new token."""
    settings = current_app.config["SETTINGS"]
    conn = get_db()
    user = accounts.authenticate(conn, body["username"], body["password"],
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
@blp.response(200, WhoAmISchema, description="Pengguna token ini")
def whoami():
    """Who this token belongs to."""
    return {"username": g.user["username"], "role": g.user["role"],
            "kelurahan_code": current_app.config["KELURAHAN_CODE"]}
