"""api: the enrollment list queries and the indexes that serve them — every index
on enrollments is one some query uses, and the name search (contains) needs none."""

from __future__ import annotations

import pytest

from berjasa.database import connect
from server.install import init_kelurahan
from server.storage import enrollment_lists as list_store

KELURAHAN = "73.71.01.1001"
LISTS = [{}, {"query": "budi"}, {"query": "budi", "status": "submitted"},
         {"query": "budi", "enumerator": "enum1"}, {"query": "7371"}, {"status": "needs_fix"},
         {"query": "budi", "oldest_first": True, "after": ("2026-11-26", "x")}]


@pytest.fixture
def conn(tmp_path):
    init_kelurahan(tmp_path / "k", KELURAHAN)
    conn = connect(tmp_path / "k" / "kelurahan.db")
    yield conn
    conn.close()


def plans(conn, **filters) -> list[str]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    list_store.list_enrollments(conn, **filters)
    conn.set_trace_callback(None)
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statements[-1])]


@pytest.mark.parametrize("filters", LISTS)
def test_list_queries_walk_an_index_not_the_name_key(conn, filters):
    steps = " ".join(plans(conn, **filters))
    assert "USING INDEX enrollments_" in steps
    assert "name_key" not in steps


def test_no_index_on_the_name_key(conn):
    indexes = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enrollments'")}
    assert "enrollments_name_key" not in indexes
    assert {"enrollments_active_nik", "enrollments_status", "enrollments_received"} <= indexes


@pytest.mark.parametrize("look", [{}, {"since": "2026-11-26"}, {"after": ("2026-11-26", "x")}])
def test_the_phones_status_look_walks_the_enumerators_index(conn, look):
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    list_store.list_statuses(conn, "enum1", **look)
    conn.set_trace_callback(None)
    steps = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statements[-1]))
    assert "USING INDEX enrollments_enumerator" in steps
