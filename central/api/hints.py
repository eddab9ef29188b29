"""``GET /api/v1/hints?key_id=&since=``: the duplicate-hint key and keyed hashes of
every active record, for a signed device (central/hints.py; sent with the sync pull)."""

from __future__ import annotations

from flask import g, jsonify

from berjasa.web.arguments import Blueprint
from central import hints
from central.api.signed import REFUSED, SIGNED, signed_by_device
from central.app import get_db, setting
from central.schemas import HintsQuery

blp = Blueprint("central_hints", __name__, description="Sinkronisasi: petunjuk duplikat")


@blp.route("/api/v1/hints", methods=["GET"])
@signed_by_device
@blp.arguments(HintsQuery, location="query")
@blp.doc(summary="Petunjuk duplikat", **SIGNED,
         responses={"200": {"description": "Kunci dan satu halaman hash"}, **REFUSED})
def hint_page(args: dict):
    """The current key and the next page of 16-byte record hashes after ``since``
    (``reset: true`` when the device holds another key id: start again from 0)."""
    # ?skip=own: the laptop has its own records; their hashes need not cross the link
    skip = g.device["device_id"] if args.get("skip") == "own" else None
    return jsonify(hints.page(get_db(), {name: setting(name) for name in hints.SETTINGS},
                              args["key_id"], args["since"], skip))
