"""The central registry's Flask app: ``create_app(config)``.

``config`` is built at the entry point (``berjasa central serve``, tests) and
passed in: ``database_url``, ``settings`` (the effective berjasa settings) and
``data_dir``. Each request gets its own database connection on ``g`` (borrowed
from a small pool on PostgreSQL).
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException

from berjasa import http_cache
from berjasa.problems import Problem, SyncProtocolRefused
from central import signing
from central.storage.db import Database, migrate, open_pool
from sync.protocol_errors import ProtocolError

log = logging.getLogger("berjasa.central")
_HTTP_ERRORS = {
    400: ("bad_request", "Permintaan tidak dapat diproses."),
    404: ("not_found", "Alamat tidak ditemukan."),
    405: ("method_not_allowed", "Metode HTTP ini tidak didukung di sini."),
    413: ("payload_too_large", "Isi permintaan terlalu besar."),
    500: ("internal_error", "Terjadi kesalahan di server."),
}


def create_app(config: dict[str, Any]) -> Flask:
    """Build the app; migrations are applied once here."""
    app = Flask(__name__)
    app.config.update(BERJASA=config, JSON_AS_ASCII=False)
    database = Database(config["database_url"])
    try:
        migrate(database)
    finally:
        database.close()
    # PostgreSQL: requests borrow pooled connections; the pool closes with the app
    # or at interpreter exit, whichever comes first
    pool = open_pool(config["database_url"], config["settings"]["central_threads"])
    if pool is not None:
        app.extensions["berjasa_central_pool"] = pool
        weakref.finalize(app, pool.close)

    @app.teardown_appcontext
    def close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(Problem)
    def problem(exc: Problem):
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(ProtocolError)
    def protocol_refused(exc: ProtocolError):
        log.info("sync protocol refused: %s", exc.code)
        refused = SyncProtocolRefused(exc.code, exc.status, exc.message)
        return jsonify(refused.to_dict()), refused.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # 404, 405, 413 from Werkzeug in the same JSON shape as every other error
        status = exc.code or 500
        code, message = _HTTP_ERRORS.get(status, ("http_error", exc.name))
        allow = {k: v for k, v in exc.get_headers() if k == "Allow"}
        return jsonify({"code": code, "message": message}), status, allow

    http_cache.install(app)  # JSON answers may carry personal data
    signing.install(app, Path(config["data_dir"]))  # every /api/ answer signed (pinned key)

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", "service": "berjasa-central"})

    from central import dashboard
    from central.api import batches, devices, erasures, hints, updates

    app.register_blueprint(devices.blp)
    app.register_blueprint(batches.blp)
    app.register_blueprint(updates.blp)
    app.register_blueprint(erasures.blp)
    app.register_blueprint(hints.blp)
    app.register_blueprint(dashboard.blp)
    return app


def get_db() -> Database:
    """This request's database connection (opened on first use)."""
    if "db" not in g:
        from flask import current_app
        g.db = Database(current_app.config["BERJASA"]["database_url"],
                        pool=current_app.extensions.get("berjasa_central_pool"))
    return g.db


def setting(name: str) -> Any:
    """One effective setting of the running app."""
    from flask import current_app
    return current_app.config["BERJASA"]["settings"][name]
