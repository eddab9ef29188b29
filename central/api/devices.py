"""``POST /api/v1/devices/register``: a kelurahan laptop registers its public key."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify

from berjasa.problems import MalformedJson
from berjasa.web.bodies import read_json
from central.app import get_db
from central.devices import register_device
from central.http import OTHER_BODY_LIMIT
from central.signing import public_keys

blp = Blueprint("central_devices", __name__)


@blp.post("/api/v1/devices/register")
def register():
    """Exchange a one-time code + public key for a device id (201)."""
    # 415 when not JSON, 413 over 1 MB, 400 when malformed or nested too deep
    body = read_json(OTHER_BODY_LIMIT)
    if not isinstance(body, dict):
        raise MalformedJson()

    from central.usb import central_exchange_public

    device = register_device(get_db(), body.get("code"), body.get("public_key"),
                             body.get("label"), body.get("kelurahan_code"),
                             body.get("exchange_public_key"),
                             central_exchange_public(current_app.config["DATA_DIR"]))
    # the kelurahan pins central's signing key(s) from this answer
    return jsonify({**device, **public_keys(Path(current_app.config["DATA_DIR"]))}), 201
