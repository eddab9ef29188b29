"""Lists of enrollments for the API and the supervisor's pages: paging cursors,
search, counts per status (plain functions; the HTTP modules call these, not
storage)."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.storage import enrollments as store


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The position a ``next_cursor`` names, or None when it is not one of ours."""
    return store.decode_cursor(cursor)


def list_records(conn: sqlite3.Connection, *, status: str | None = None,
                 query: str | None = None, enumerator: str | None = None,
                 after: tuple[str, str] | None = None, limit: int = 50,
                 oldest_first: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records (newest first unless ``oldest_first``) and the next cursor."""
    return store.list_enrollments(conn, status=status, query=query, enumerator=enumerator,
                                  after=after, limit=limit, oldest_first=oldest_first)


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many records are in each status."""
    return store.count_by_status(conn)
