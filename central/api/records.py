"""``GET /api/v1/records?after=``: the device's kelurahan's own records, for a laptop
that lost them (central/recovery.py; docs/sync-protocol.md "Recovery")."""

from __future__ import annotations

import json

from flask import Response, g, jsonify

from berjasa.web.arguments import Blueprint
from central.api.signed import REFUSED, SIGNED, signed_by_device
from central.app import get_db
from central.recovery import records_page
from central.schemas import RecordsQuery
from sync.protocol import compress

blp = Blueprint("central_records", __name__, description="Sinkronisasi: pemulihan data kelurahan")


@blp.route("/api/v1/records", methods=["GET"])
@signed_by_device
@blp.arguments(RecordsQuery, location="query")
@blp.doc(summary="Data kelurahan ini yang dipegang pusat (pemulihan laptop)", **SIGNED,
         responses={"200": {"description": "Data setelah after, dan kursor berikutnya"}, **REFUSED})
def list_records(args: dict):
    """The signing device's kelurahan's records after central id ``after``, each with
    central's status and update entries; every page is written to central's trail."""
    page = records_page(get_db(), g.device, args["after"], args.get("limit") or 10**9)
    if args.get("encoding") == "zstd":
        body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return Response(compress(body, "zstd"), mimetype="application/zstd")
    return jsonify(page)
