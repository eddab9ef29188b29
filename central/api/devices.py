"""``POST /api/v1/devices/register``: a kelurahan laptop registers its public key."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, jsonify

from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint
from central.app import get_db
from central.devices import register_device
from central.schemas import RegisterBody
from central.signing import public_keys

blp = Blueprint("central_devices", __name__, description="Perangkat kelurahan")


@blp.route("/api/v1/devices/register", methods=["POST"])
@blp.arguments(RegisterBody)
@blp.doc(security=[], responses={
    "201": {"description": "Perangkat terdaftar, dengan kunci tanda tangan pusat"},
    **problems(s403="Kode tidak dikenal, sudah dipakai, kedaluwarsa, atau kelurahan lain")})
def register(body: dict):
    """Exchange a one-time code + public key for a device id (201)."""
    from central.usb import central_exchange_public

    device = register_device(get_db(), body["code"], body["public_key"], body.get("label"),
                             body.get("kelurahan_code"), body.get("exchange_public_key"),
                             central_exchange_public(current_app.config["DATA_DIR"]))
    # the kelurahan pins central's signing key(s) from this answer
    return jsonify({**device, **public_keys(Path(current_app.config["DATA_DIR"]))}), 201
