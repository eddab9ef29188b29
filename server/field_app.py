"""The field client (PWA) as served by the kelurahan server, and its API.

- ``/app/`` and its files: static, with explicit MIME types (Windows' registry
  often maps .js to text/plain, which browsers refuse for modules), a strict CSP,
  and ``no-cache`` so phones revalidate (ETag) whenever they are online; offline,
  the service worker answers from its cache.
- ``/app/sw.js``: the service worker with scope ``/app/``. Its cache name and file
  list are filled in here from the files on disk, so a changed file always reaches
  the phones and no list can drift. ``/app/sw_send.js``: the same as a module
  worker plus sending the outbox from Background Sync with the app closed, for the
  browsers that have it.
- ``GET /api/v1/field/reference``: lists the form needs, from berjasa.reference,
  the settings and the schema's choices.
- ``GET /api/v1/field/dedupe-index`` and ``/dedupe-key``: duplicate hints
  (server/field_dedupe.py).
- ``GET /api/v1/field/statuses``: the statuses of the caller's own records changed
  since the phone's last look (no personal data), instead of every full record.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint as FlaskBlueprint
from flask import Response, abort, current_app, jsonify, redirect, request, send_file
from marshmallow import Schema, fields

from berjasa import reference
from berjasa.enrollment_schema import CONSENT_METHODS, HEIR_RELATIONS
from berjasa.problems import TooManyAttempts
from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint, QueryArgs, whole_number
from server import field_dedupe, listing
from server.api.enrollments import Cursor
from server.db import get_db
from server.http import current_actor
from server.pages.labels import CENTRAL_REASON_LABELS

CLIENT_DIR = Path(__file__).resolve().parent.parent / "field_client"
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
SERVED_DIRS = ("", "js", "css", "icons")  # never tests/ or Python files
WORKERS = ("sw.js", "sw_send.js")  # served filled in by service_worker(), never as plain files
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

blp = Blueprint("field", __name__, url_prefix="/api/v1/field",
                description="Aplikasi petugas pendata (PWA)")


def app_files() -> list[Path]:
    """Every file the app may serve, relative to field_client/."""
    found = []
    for folder in SERVED_DIRS:
        base = CLIENT_DIR / folder
        for path in sorted(base.iterdir()) if base.is_dir() else []:
            if path.is_file() and path.suffix in MIME_TYPES:
                found.append(path.relative_to(CLIENT_DIR))
    return found


@lru_cache(maxsize=1)
def build_id() -> str:
    """A hash of every served file: the service worker's cache version."""
    digest = hashlib.sha256()
    for rel in app_files():
        digest.update(rel.as_posix().encode() + b"\0" + (CLIENT_DIR / rel).read_bytes())
    return digest.hexdigest()[:16]


def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


def serve_app_file(path: str = "index.html") -> Response:
    """One file of the app, or 404 for anything not in the served set."""
    rel = Path(path)
    if rel.as_posix() not in {p.as_posix() for p in app_files()} or rel.as_posix() in WORKERS:
        abort(404)
    response = send_file(CLIENT_DIR / rel, mimetype=MIME_TYPES[rel.suffix], conditional=True,
                         etag=True, max_age=0)
    return _secure_headers(response)


def service_worker(name: str = "sw.js") -> Response:
    """A service worker with its version and file list filled in: ``sw.js`` (classic)
    or ``sw_send.js`` (the module that adds sending with the app closed)."""
    assets = ["./"] + [p.as_posix() for p in app_files() if p.name not in (*WORKERS, "index.html")]
    text = (CLIENT_DIR / name).read_text(encoding="utf-8")
    text = text.replace("__BUILD_ID__", build_id()).replace("__ASSETS__", json.dumps(assets))
    response = Response(text, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/app/"
    return _secure_headers(response)


def app_root_redirect() -> Response:
    """``/app`` -> ``/app/`` so relative URLs and the SW scope line up."""
    return redirect("/app/", code=308)


def ca_certificate() -> Response:
    """The laptop's CA certificate (public by nature) for phones to install; 404
    until ``berjasa serve --https`` has made one. DER: what Android's installer reads."""
    path = Path(current_app.config["DATA_DIR"]) / "tls" / "ca.pem"
    if not path.exists():
        abort(404)
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(Encoding.DER)
    response = Response(der, mimetype="application/x-x509-ca-cert")
    response.headers["Content-Disposition"] = 'attachment; filename="berjasa-ca.crt"'
    return _secure_headers(response)


# The static part is a plain Flask blueprint: it is not API, so not in OpenAPI.
static_blp = FlaskBlueprint("field_app", __name__)
static_blp.add_url_rule("/app", "app_root", app_root_redirect)
static_blp.add_url_rule("/app/", "app_index", serve_app_file)
static_blp.add_url_rule("/app/sw.js", "service_worker", service_worker)
static_blp.add_url_rule("/app/sw_send.js", "service_worker_send", service_worker, defaults={"name": "sw_send.js"})
static_blp.add_url_rule("/app/berjasa-ca.crt", "ca_certificate", ca_certificate)
static_blp.add_url_rule("/app/<path:path>", "app_file", serve_app_file)


@blp.route("/reference", methods=["GET"])
@blp.doc(responses={"200": {"description": "Daftar untuk formulir (pekerjaan, kelurahan, ...)"}})
def field_reference():
    """Occupations, work categories, heir relations, kelurahan: what the form offers."""
    settings = current_app.config["SETTINGS"]
    code = current_app.config["KELURAHAN_CODE"]
    regions = reference.regions()

    def describe(region):
        kecamatan = regions.get(region.kecamatan_code)
        return {"code": region.code, "name": region.name,
                "kecamatan_code": region.kecamatan_code,
                "kecamatan_name": kecamatan.name if kecamatan else ""}

    here = reference.kelurahan(code or "")
    return {
        "kelurahan": describe(here) if here else {"code": code, "name": code},
        "kelurahan_list": [describe(r) for r in reference.kelurahan_list()],
        "occupations": list(reference.occupations()),
        "work_categories": list(settings["work_categories"]),
        "heir_relations": list(HEIR_RELATIONS),
        "consent_methods": list(CONSENT_METHODS),
        # central's rejection codes in words, for the phone's notes on its records
        "central_reasons": dict(CENTRAL_REASON_LABELS),
        "city_minimum_wage": settings["city_minimum_wage"],
        # the program's age limits: a soft warning on the phone (the rule decides)
        "age_min": settings["eligibility_age_min"],
        "age_max": settings["eligibility_age_max"],
        "app_build": build_id(),
        # issue 14: freshness warnings, measured against the server's clock
        "field_stale_days": settings["field_stale_days"],
        "field_outbox_stale_days": settings["field_outbox_stale_days"],
        "server_time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


class TooManyHintFetches(TooManyAttempts):
    """More index/key downloads in an hour than ``field_hint_fetches_per_hour``."""

    code = "too_many_fetches"
    message = "Terlalu sering mengunduh daftar petunjuk duplikat. Coba lagi nanti."


def _counted(what: str, key_id: str) -> None:
    """Record who downloaded what (audit trail) and enforce the hourly limit (429)."""
    try:
        field_dedupe.note_fetch(get_db(), current_app.config["SETTINGS"], current_actor(), what, key_id)
    except field_dedupe.TooManyFetches:
        raise TooManyHintFetches() from None


class DedupeIndexSchema(Schema):
    """The phone's duplicate hints: a filter over keyed hashes, no NIK, name or date."""

    key_id = fields.String()
    count = fields.Integer()
    false_positive_rate = fields.Float()
    size_bytes = fields.Integer()
    filter = fields.String(metadata={"description": "base64"})


class DedupeKeySchema(Schema):
    """The key the phone tests the filter with, and the server's clock."""

    key_id = fields.String()
    key = fields.String(metadata={"description": "base64"})
    server_time = fields.String()


@blp.route("/dedupe-index", methods=["GET"])
@blp.response(200, DedupeIndexSchema,
              description="Bloom filter atas hash berkunci NIK dan nama+tanggal lahir")
@blp.doc(responses=problems(s429="Terlalu sering diunduh (too_many_fetches)"))
def dedupe_index():
    """A Bloom filter of keyed hashes: no NIK, name or date in clear."""
    body = field_dedupe.dedupe_index(get_db(), Path(current_app.config["DATA_DIR"]),
                                     current_app.config["SETTINGS"])
    _counted("index", body["key_id"])
    response = jsonify(body)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        # base64 of near-random bits: gzip takes back most of base64's third
        # (150,000 records: ~480 KB -> ~360 KB on the wire; bench/hints_bench.py)
        response.set_data(gzip.compress(response.get_data(), 6))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response


@blp.route("/dedupe-key", methods=["GET"])
@blp.response(200, DedupeKeySchema, description="Kunci HMAC untuk memeriksa filter di HP")
@blp.doc(responses=problems(s429="Terlalu sering diunduh (too_many_fetches)"))
def dedupe_key():
    """The key the phone tests the filter with (enumerators only, never cached). The
    phone keeps it with the filter only while its token lasts."""
    key = field_dedupe.current_key(get_db(), Path(current_app.config["DATA_DIR"]))
    _counted("key", key.key_id)
    return {"key_id": key.key_id, "key": base64.b64encode(key.secret).decode("ascii"),
            "server_time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


class StatusQuery(QueryArgs):
    """Where the phone's last look ended, and the page within this one."""

    since = Cursor(metadata={"description": "the `since` of the last page of the previous look"})
    cursor = Cursor(metadata={"description": "`next_cursor` of the previous page of this look"})
    limit = whole_number(1, 1000, "limit harus 1 sampai 1000.", "invalid_limit", load_default=500)


class CentralStatusSchema(Schema):
    """Central's decision on the record, as the full record has it."""

    status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    kpj_number = fields.String(allow_none=True)


class RecordStatusSchema(Schema):
    """One record's status: no NIK, name or other personal field."""

    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    review_reason = fields.String(allow_none=True)
    central = fields.Nested(CentralStatusSchema)
    updated_at = fields.String()


class StatusPageSchema(Schema):
    """A page of statuses, oldest change first."""

    items = fields.List(fields.Nested(RecordStatusSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "more of this look: ask again with it"})
    since = fields.String(allow_none=True, metadata={"description": "where the next look starts"})


@blp.route("/statuses", methods=["GET"])
@blp.arguments(StatusQuery, location="query")
@blp.response(200, StatusPageSchema, description="Status data milik pengguna ini yang berubah sejak `since`")
def field_statuses(args: dict):
    """The statuses of the records the caller recorded (enumerators and supervisors
    alike: only their own), changed since the last look; what the phone needs to
    update its list, without downloading every full record again."""
    return listing.own_statuses(get_db(), current_actor().username, since=args.get("since"),
                                after=args.get("cursor"), limit=args["limit"])


@blp.after_request
def no_store(response: Response) -> Response:
    """Field API answers hold a key and per-user data: never in a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response
