"""The request's database connection, opened on first use and closed on teardown."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g

from berjasa.database import connect


def get_db() -> sqlite3.Connection:
    """The connection for this request."""
    if "db" not in g:
        g.db = connect(current_app.config["DB_PATH"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    """Register the teardown."""
    app.teardown_appcontext(close_db)
