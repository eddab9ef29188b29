"""Lists of enrollments for the API and the supervisor's pages: paging cursors,
search, counts per status (plain functions; the HTTP modules call these, not
storage)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from server.storage import enrollment_lists as list_store
from server.storage import privacy as privacy_store


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The position a ``next_cursor`` names, or None when it is not one of ours."""
    return list_store.decode_cursor(cursor)


def list_records(conn: sqlite3.Connection, *, status: str | None = None,
                 query: str | None = None, enumerator: str | None = None,
                 after: tuple[str, str] | None = None, limit: int = 50,
                 oldest_first: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records (newest first unless ``oldest_first``) and the next cursor."""
    return list_store.list_enrollments(conn, status=status, query=query, enumerator=enumerator,
                                       after=after, limit=limit, oldest_first=oldest_first)


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many records are in each status."""
    return list_store.count_by_status(conn)


# A change is looked for again this long before the last one the phone saw: a write
# takes its time stamp a moment before it commits (a batch computes it before its
# transaction), so a change committed just after a look may carry an earlier stamp.
STATUS_OVERLAP = dt.timedelta(minutes=5)


def _earlier(stamp: str, by: dt.timedelta) -> str | None:
    """``stamp`` (an ``updated_at``) moved back by ``by``, as sortable text; None if unreadable."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (moment.astimezone(dt.timezone.utc) - by).isoformat(timespec="microseconds")


def own_statuses(conn: sqlite3.Connection, username: str, *, since: tuple[str, str] | None = None,
                 after: tuple[str, str] | None = None, limit: int = 500) -> dict[str, Any]:
    """The phone's status look (``GET /api/v1/field/statuses``): the statuses of the
    records ``username`` recorded, changed since the last look (``since``: the
    position that look ended at, read again with :data:`STATUS_OVERLAP`), a page at
    a time (``after``). ``since`` in the answer is where the next look starts, once
    the last page is read (``next_cursor`` None). The last page also lists the user's
    records erased since the look's start (``{"id", "status": "erased", "updated_at"}``,
    nothing else: the record is gone), so a phone still holding one deletes it."""
    start = _earlier(since[0], STATUS_OVERLAP) if since else None
    rows, next_cursor = list_store.list_statuses(conn, username, since=start, after=after,
                                                 limit=limit)
    items = [{"id": row["id"], "version": row["version"], "status": row["status"],
              "review_reason": row["review_reason"], "updated_at": row["updated_at"],
              "central": {"status": row["central_status"], "reason": row["central_reason"],
                          "kpj_number": row["kpj_number"]}} for row in rows]
    if next_cursor is None:
        # the look's last page: the user's records erased since (the person asked to be
        # erased, or retention ended): ids only, so the phone deletes its copy
        items += [{"id": row["record_id"], "status": "erased", "updated_at": row["erased_at"]}
                  for row in privacy_store.erased_for_enumerator(conn, username, start)]
    # never behind the position the look started from (the overlap re-reads older changes)
    seen = [tuple(position) for position in (since, after) if position]
    if rows:
        seen.append((rows[-1]["updated_at"], rows[-1]["id"]))
    reached = list_store.encode_cursor(*max(seen)) if seen else None
    return {"items": items, "next_cursor": next_cursor, "since": reached}
