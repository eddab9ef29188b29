"""The central registry's Flask app: ``create_app(config)``.

``config`` (:class:`berjasa.settings.AppConfig`, the kelurahan server's shape) is
read once at the entry point (``berjasa central serve``, tests) and passed in: the
data folder, the settings (read-only while the app runs) and ``database_url``.
Each request gets its own database connection on ``g`` (borrowed from a small pool
on PostgreSQL).
"""

from __future__ import annotations

import weakref
from typing import Any

from flask import Flask, g

from berjasa import http_cache
from berjasa.settings import AppConfig
from berjasa.web.sessions import SignedCookieSessions, secret_key
from central import privacy, receive, signing, trail
from central.storage.db import Database, migrate, open_pool
from central.updates import WAITING_ROOM, WaitingRoom


def create_app(config: AppConfig) -> Flask:
    """Build the app; migrations are applied once here."""
    app = Flask(__name__)
    app.config.update(BERJASA=config, SETTINGS=config.settings, DATA_DIR=config.data_dir,
                      JSON_AS_ASCII=False, SECRET_KEY=secret_key(config.data_dir),
                      # Its own cookie name: the kelurahan pages on the same host
                      # (127.0.0.1 in the demo) use Flask's default "session".
                      SESSION_COOKIE_NAME="berjasa_central",
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=config.secure_cookies, TESTING=config.testing)
    # PostgreSQL: requests borrow pooled connections; the pool closes with the app
    # or at interpreter exit, whichever comes first
    pool = open_pool(config.database_url, config.settings["central_threads"])
    if pool is not None:
        app.extensions["berjasa_central_pool"] = pool
        weakref.finalize(app, pool.close)
    # migrating on a pooled connection leaves it to the first request (one backend
    # fewer for PostgreSQL to start)
    database = Database(config.database_url, pool=pool, data_dir=config.data_dir)
    try:
        migrate(database)
        trail.seal_unsealed(database)  # the trail written before sealing, once
    finally:
        database.close()

    @app.teardown_appcontext
    def close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    app.extensions[trail.WATCH_EXTENSION] = trail.TrailWatch()  # the auditor page's chain check
    # a device's erasure is answered before PostgreSQL's compaction (central/privacy.py)
    app.extensions[privacy.COMPACTOR_EXTENSION] = privacy.Compactor(
        lambda: Database(config.database_url, pool=pool, data_dir=config.data_dir))
    # batches refused over the network: in the trail, one entry an hour per device and reason
    app.extensions[receive.REFUSALS_EXTENSION] = receive.RefusalLog()
    # updates requests waiting for batches: at most MAX_WAITING of this server's threads
    app.extensions[WAITING_ROOM] = WaitingRoom()
    # the kelurahan's session cookie interface: Secure whenever the page came over HTTPS
    app.session_interface = SignedCookieSessions()
    http_cache.install(app)  # JSON answers may carry personal data
    signing.install(app, config.data_dir)  # every /api/ answer signed (pinned key)

    from central import http, openapi
    from central.api import batches, devices, erasures, health, hints, updates
    from central.pages import blueprint as pages

    app.register_blueprint(pages.blp)
    # /openapi.json from the schemas that validate the device API (flask-smorest)
    openapi.install(app, [health.blp, devices.blp, batches.blp, updates.blp, erasures.blp,
                          hints.blp])
    http.init_app(app)
    return app


def waitress_options(settings: dict[str, Any]) -> dict[str, Any]:
    """How waitress serves central: behind the city's HTTPS proxy
    (``central_trusted_proxy``), the client's address and scheme from its
    X-Forwarded-For / -Proto, else from the connection (waitress then drops the
    headers). Without it the login lockout and the trail would see every user at
    the proxy's address: ten wrong passwords by anyone would lock everyone out."""
    proxy = str(settings.get("central_trusted_proxy") or "").strip()
    if not proxy:
        return {}
    return {"trusted_proxy": proxy, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}}


def get_db() -> Database:
    """This request's database connection (opened on first use)."""
    if "db" not in g:
        from flask import current_app
        config = current_app.config["BERJASA"]
        g.db = Database(config.database_url, pool=current_app.extensions.get("berjasa_central_pool"),
                        data_dir=config.data_dir)
    return g.db


def setting(name: str) -> Any:
    """One effective setting of the running app."""
    from flask import current_app
    return current_app.config["SETTINGS"][name]


def stop_waiting(app: Flask) -> None:
    """The server stops: requests waiting for batches answer now (pass as
    :class:`berjasa.background_server.BackgroundServer`'s ``on_stop``)."""
    app.extensions[WAITING_ROOM].close()
