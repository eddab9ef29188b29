"""The kelurahan server's application factory.

``create_app(config)`` takes what the entry point read once
(:class:`berjasa.settings.AppConfig`: data folder, settings) and builds the app;
nothing here reads environment variables, global config or settings.toml.
Blueprints are listed once in :data:`BLUEPRINTS`; each endpoint must also have a
row in :mod:`server.access`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from berjasa import __version__, enrollment_fields
from berjasa.database import connect
from berjasa.paths import kelurahan_db_path
from berjasa.settings import AppConfig
from berjasa.web.arguments import Api
from berjasa.web.flask_app import CachedSyncFlask
from berjasa.web.json_answers import FastJSONProvider
from berjasa.web.sessions import SignedCookieSessions, secret_key
from server import access, backup_trail, db, field_app, http, intake
from server.api import audit, auth, enrollments, health, receipts, sync_status
from server.api import review as review_api
from server.pages import blueprint as pages_blueprint
from server.storage.audit import seal_unsealed
from server.storage.users import get_site

BLUEPRINTS = [health.blp, receipts.blp, auth.blp, enrollments.blp, field_app.blp, review_api.blp, audit.blp,
              sync_status.blp]


class NotInitialised(Exception):
    """The data folder has no kelurahan database yet (run ``berjasa init``)."""


def _api_config(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "API_TITLE": "berjasa kelurahan API",
        "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Pendaftaran pekerja rentan Makassar ke BPJS Ketenagakerjaan."},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        # Werkzeug refuses bodies above the batch limit while reading them; the
        # per-record limit is checked per route.
        "MAX_CONTENT_LENGTH": settings["max_batch_bytes"],
    }


def create_app(config: AppConfig) -> Flask:
    """Build the kelurahan server for a data folder, from the config the entry
    point read (the same shape as central's :func:`central.app.create_app`)."""
    data_dir = config.data_dir
    db_path = kelurahan_db_path(data_dir)
    if not db_path.exists():
        raise NotInitialised(f"Belum ada database di {data_dir}; jalankan `berjasa init` dulu.")
    conn = connect(db_path)
    try:
        kelurahan_code = get_site(conn, "kelurahan_code")
        seal_unsealed(conn)  # once per folder: entries from before the keyed seal
        backup_trail.record_pending_restore(conn, data_dir)  # a restore's entry comes first
    finally:
        conn.close()
    settings = config.settings
    app = CachedSyncFlask(__name__)
    app.json = FastJSONProvider(app)
    app.config.update(_api_config(settings))
    app.config.update(
        BERJASA=config,
        SETTINGS=settings,
        DATA_DIR=data_dir,
        DB_PATH=str(db_path),
        KELURAHAN_CODE=kelurahan_code,
        SECRET_KEY=secret_key(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Over HTTPS the session cookie must never travel in clear.
        SESSION_COOKIE_SECURE=config.secure_cookies,
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.session_interface = SignedCookieSessions()

    db.init_app(app)
    # concurrent single POSTs share one transaction and fsync (server.intake)
    app.extensions[intake.WRITER_EXTENSION] = intake.group_writer(str(db_path))
    api = Api(app)
    for field in (enrollment_fields.IdentityNumber, enrollment_fields.PersonName,
                  enrollment_fields.Phone, enrollment_fields.FreeText,
                  enrollment_fields.ListChoice):
        api.register_field(field, "string", None)
    api.register_field(enrollment_fields.StrictBoolean, "boolean", None)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    api.document_answers(access.MATRIX)  # 401/403 from the role matrix, 507 everywhere
    app.register_blueprint(field_app.static_blp)  # /app/: static, not in OpenAPI
    app.register_blueprint(pages_blueprint.blp)  # supervisor pages: HTML, not in OpenAPI
    http.init_app(app, page_errors=pages_blueprint.error_response)
    return app
