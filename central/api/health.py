"""``GET /health``: central is up (no session)."""

from __future__ import annotations

from berjasa.web.arguments import Blueprint
from central.schemas import Health

blp = Blueprint("central_health", __name__, description="Kesehatan layanan")


@blp.route("/health", methods=["GET"])
@blp.response(200, Health, description="OK")
@blp.doc(security=[])
def health():
    """Answer 200 while the app runs."""
    return {"status": "ok", "service": "berjasa-central"}
