"""The request's database connection.

Each waitress worker thread keeps one open connection per database file and
reuses it across requests: opening SQLite and setting its pragmas costs more than
a small query. Teardown rolls back anything a failed request left open, so a
reused connection always starts clean.
"""

from __future__ import annotations

import sqlite3
import threading

from flask import Flask, current_app, g

from berjasa.database import connect

_local = threading.local()
# A server has one database; more happen only when one process builds several apps
# (tests, benchmarks). Close the least recently used beyond this many.
MAX_DATABASES_PER_THREAD = 4


def get_db() -> sqlite3.Connection:
    """The connection for this request (this thread's, for this app's database)."""
    state = g._get_current_object()  # one proxy lookup (werkzeug's advice for speed)
    conn = state.get("db")  # every request asks two or three times
    if conn is None:
        path = current_app.config["DB_PATH"]
        connections = getattr(_local, "connections", None)
        if connections is None:
            connections = _local.connections = {}
        conn = connections.pop(path, None)
        if conn is None:
            conn = connect(path)
        connections[path] = conn  # most recently used last
        while len(connections) > MAX_DATABASES_PER_THREAD:
            connections.pop(next(iter(connections))).close()
        state.db = conn
    return conn


def release_db(exc: BaseException | None = None) -> None:
    """End of request: leave the thread's connection with no open transaction."""
    conn = g._get_current_object().pop("db", None)
    if conn is not None and conn.in_transaction:
        conn.rollback()


def init_app(app: Flask) -> None:
    """Register the teardown."""
    app.teardown_appcontext(release_db)
