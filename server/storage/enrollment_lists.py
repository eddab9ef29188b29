"""Pages of enrollments (SQL only): the register's list and review queue with its
search (NIK prefix, exact KK or part of the name), an enumerator's status list,
their opaque cursors, and the counts per status. Functions take the connection
first and return plain dicts; the records themselves are read and written in
:mod:`server.storage.enrollments`.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from server.storage.enrollments import from_row, name_key


def encode_cursor(received_at: str, enrollment_id: str) -> str:
    """An opaque cursor for the next page."""
    raw = json.dumps([received_at, enrollment_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The position a cursor points after, or None if it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        received_at, enrollment_id = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    if not isinstance(received_at, str) or not isinstance(enrollment_id, str):
        return None
    return received_at, enrollment_id


def list_enrollments(conn: sqlite3.Connection, *, status: str | None = None,
                     query: str | None = None, enumerator: str | None = None,
                     after: tuple[str, str] | None = None, limit: int = 50,
                     oldest_first: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """A page of enrollments, newest received first (a review queue: oldest first),
    and the cursor of the next page."""
    where, params = ["1=1"], []
    for column, value in (("status", status), ("enumerator", enumerator)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if query:
        digits = "".join(query.split())
        if digits.isdigit():
            where.append("(nik LIKE ? ESCAPE '\\' OR kk_number = ?)")
            params += [_like_prefix(digits), digits]
        elif folded := name_key(query):
            where.append("name_key LIKE ? ESCAPE '\\'")
            params.append("%" + _escape_like(folded) + "%")
        else:  # only punctuation: no name holds "nothing"
            where.append("0")
    if after:
        where.append(f"(received_at, id) {'>' if oldest_first else '<'} (?, ?)")
        params += list(after)
    order = "ASC" if oldest_first else "DESC"
    return _page(conn, "*", where, params, f"received_at {order}, id {order}", limit, from_row,
                 "received_at")


def _page(conn: sqlite3.Connection, columns: str, where: list[str], params: list, order: str,
          limit: int, convert: Any, position: str) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` enrollments (each ``convert``-ed) and, when more follow, the
    cursor after the last one (its ``position`` column and id)."""
    rows = conn.execute(f"SELECT {columns} FROM enrollments WHERE {' AND '.join(where)}"
                        f" ORDER BY {order} LIMIT ?", (*params, limit + 1)).fetchall()
    items = [convert(row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, (encode_cursor(items[-1][position], items[-1]["id"]) if more else None)


STATUS_LIST_COLUMNS = ("id", "version", "status", "review_reason", "central_status",
                       "central_reason", "kpj_number", "updated_at")


def list_statuses(conn: sqlite3.Connection, enumerator: str, *, since: str | None = None,
                  after: tuple[str, str] | None = None,
                  limit: int = 500) -> tuple[list[dict[str, Any]], str | None]:
    """The status columns (no personal field but the KPJ number) of one enumerator's
    records changed at or after ``since`` (``updated_at`` text), oldest change
    first, after ``after`` (``updated_at``, id); and the cursor of the next page.
    It walks the enumerator's index: an enumerator holds hundreds to a few thousand
    records, and sorting those by ``updated_at`` costs less than a migration."""
    where, params = ["enumerator = ?"], [enumerator]
    if since:
        where.append("updated_at >= ?")
        params.append(since)
    if after:
        where.append("(updated_at, id) > (?, ?)")
        params += list(after)
    return _page(conn, ", ".join(STATUS_LIST_COLUMNS), where, params, "updated_at, id", limit, dict,
                 "updated_at")


def count_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    """How many enrollments are in each status."""
    return {row[0]: row[1] for row in
            conn.execute("SELECT status, count(*) FROM enrollments GROUP BY status")}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(text: str) -> str:
    return _escape_like(text) + "%"
