"""``GET /api/v1/updates?since=``: central's decisions for the device's kelurahan; and
``GET /api/v1/records?after=``: its own records, for a laptop that lost them."""

from __future__ import annotations

import json

from flask import Response, current_app, g, jsonify

from berjasa.web.arguments import Blueprint
from central.api.signed import REFUSED, SIGNED, signed_by_device
from central.app import get_db, setting
from central.recovery import PAGE_SIZE, records_page
from central.schemas import RecordsQuery, UpdatesQuery
from central.updates import WAITING_ROOM, batch_answers, updates_page, wait_for_batches
from sync.protocol import compress

blp = Blueprint("central_updates", __name__, description="Sinkronisasi: keputusan pusat")


@blp.route("/api/v1/updates", methods=["GET"])
@signed_by_device
@blp.arguments(UpdatesQuery, location="query")
@blp.doc(summary="Keputusan pusat untuk kelurahan", **SIGNED,
         responses={"200": {"description": "Entri setelah since, dan kursor berikutnya"}, **REFUSED})
def list_updates(args: dict):
    """Entries after ``since`` for the signing device's kelurahan, with the next cursor."""
    page = setting("central_updates_page_size")
    limit = min(args.get("limit") or page, page)
    # ?skip=accepted: kinds the agent already has from its batch answers. A name
    # with a NUL matches no kind (and PostgreSQL text cannot hold one): left out.
    skip = tuple(k for k in (args.get("skip") or "").split(",") if k and "\x00" not in k)[:10]
    stored = None
    waited_for = args["wait_for"].split(",") if args.get("wait_for") else []
    if waited_for:
        # ?wait_for=<batch ids>: the agent asks beside the end of its push; the page
        # is made once those batches are stored (so it holds what their ingest
        # wrote), or after central_updates_wait_seconds with "stored": false
        stored = wait_for_batches(get_db(), g.device["device_id"], waited_for,
                                  float(setting("central_updates_wait_seconds")),
                                  current_app.extensions[WAITING_ROOM])
    page = updates_page(get_db(), g.device["kelurahan_code"], args["since"], limit, skip)
    if stored is not None:
        page["stored"] = stored
        # and their answers, in case one is lost on its way back
        page["answers"] = batch_answers(get_db(), g.device["device_id"], waited_for)
    return _page_answer(page, args.get("encoding"))


RECORDS_DOC = {"summary": "Data kelurahan ini yang dipegang pusat (pemulihan laptop)", **SIGNED,
               "responses": {"200": {"description": "Data setelah after, dan kursor berikutnya"},
                             **REFUSED}}


@blp.route("/api/v1/records", methods=["GET"])
@blp.doc(**RECORDS_DOC)
@signed_by_device
@blp.arguments(RecordsQuery, location="query")
def list_records(args: dict):
    """The signing device's kelurahan's own records after central id ``after``, each
    with central's status and update entries, for a laptop that lost them
    (central/recovery.py; docs/sync-protocol.md "Recovery"); every page is written to
    central's trail."""
    page = records_page(get_db(), g.device, args["after"], args.get("limit") or PAGE_SIZE)
    return _page_answer(page, args.get("encoding"))


def _page_answer(page: dict, encoding: str | None) -> Response:
    """A page as JSON, or with ``?encoding=zstd`` the same JSON zstd-compressed (a page
    of rule results is mostly repeated text; on a lossy 256 kbit/s link it is the
    pull's time). The answer's signature covers these compressed bytes."""
    if encoding == "zstd":
        body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return Response(compress(body, "zstd"), mimetype="application/zstd")
    return jsonify(page)
