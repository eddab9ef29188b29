"""unit: berjasa.database.insert_rows — many rows in few multi-row INSERTs, in
order, within the bound-variable limit, all or nothing inside a savepoint; and
``transaction``'s savepoints: a failed inner block undoes only its own writes."""

from __future__ import annotations

import sqlite3

import pytest

from berjasa import database
from berjasa.database import connect, insert_rows, transaction

COLUMNS = ("id", "name", "size")


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "rows.db")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, size INTEGER)")
    yield conn
    conn.close()


def rows(count: int, start: int = 0) -> list[tuple]:
    return [(n, f"item-{n}", n * 3) for n in range(start, start + count)]


def stored(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT id, name, size FROM items ORDER BY rowid")]


def test_every_row_in_order_across_statements(conn, monkeypatch):
    monkeypatch.setattr(database, "ROWS_PER_INSERT", 7)
    statements = []
    conn.set_trace_callback(statements.append)
    with transaction(conn):
        insert_rows(conn, "items", COLUMNS, rows(50))
    conn.set_trace_callback(None)
    assert stored(conn) == rows(50)
    assert sum(s.startswith("INSERT") for s in statements) == 8  # 7 * 7 + 1


def test_any_batch_size_uses_a_few_statement_texts(conn, monkeypatch):
    """Chunks of ROWS_PER_INSERT, then powers of two: the texts repeat across batch
    sizes, so the connection's statement cache keeps them prepared; a few rows (up
    to ONE_STATEMENT_ROWS) are one statement of exactly that many."""
    monkeypatch.setattr(database, "ROWS_PER_INSERT", 16)
    monkeypatch.setattr(database, "ONE_STATEMENT_ROWS", 3)
    texts, total = set(), 0
    conn.set_trace_callback(texts.add)
    for count in range(1, 60):
        with transaction(conn):
            insert_rows(conn, "items", COLUMNS, rows(count, start=total))
        total += count
    conn.set_trace_callback(None)
    assert stored(conn) == rows(total)
    sizes = {text.count("), (") + 1 for text in texts if text.startswith("INSERT")}
    assert sizes == {1, 2, 3, 4, 8, 16}


@pytest.mark.parametrize("count", range(1, database.ONE_STATEMENT_ROWS + 1))
def test_a_few_rows_are_one_statement(conn, count):
    """What a group of single POSTs relies on to need no savepoint (server.intake)."""
    statements = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn, "items", COLUMNS, rows(count))
    conn.set_trace_callback(None)
    assert [s.count("), (") + 1 for s in statements if s.startswith("INSERT")] == [count]
    assert stored(conn) == rows(count)


@pytest.mark.skipif(not hasattr(sqlite3.Connection, "setlimit"),
                    reason="Connection.setlimit is Python 3.11+ (insert_rows takes 999 there)")
def test_statements_stay_within_the_variable_limit(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)  # three rows of three columns
    insert_rows(conn, "items", COLUMNS, rows(10))
    assert stored(conn) == rows(10)


def test_no_rows_no_statement(conn):
    statements = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn, "items", COLUMNS, [])
    assert statements == []


def test_a_refused_row_leaves_none_inside_a_savepoint(conn, monkeypatch):
    monkeypatch.setattr(database, "ROWS_PER_INSERT", 4)
    clash = [*rows(6), (99, "item-2", 0)]  # the 7th row repeats a unique name
    with transaction(conn):
        with pytest.raises(sqlite3.IntegrityError), transaction(conn):
            insert_rows(conn, "items", COLUMNS, clash)
        assert stored(conn) == []


def test_a_failed_inner_block_undoes_only_its_own_writes_at_every_depth(conn):
    with transaction(conn):
        insert_rows(conn, "items", COLUMNS, rows(1))
        with transaction(conn):
            insert_rows(conn, "items", COLUMNS, rows(1, start=1))
            with pytest.raises(ValueError), transaction(conn):
                insert_rows(conn, "items", COLUMNS, rows(1, start=2))
                raise ValueError
            insert_rows(conn, "items", COLUMNS, rows(1, start=3))
        with pytest.raises(ValueError), transaction(conn):
            insert_rows(conn, "items", COLUMNS, rows(1, start=4))
            with transaction(conn):  # kept until its outer block fails
                insert_rows(conn, "items", COLUMNS, rows(1, start=5))
            raise ValueError
        insert_rows(conn, "items", COLUMNS, rows(1, start=6))
    assert not conn.in_transaction
    assert stored(conn) == [*rows(2), *rows(1, start=3), *rows(1, start=6)]


def test_a_failed_outer_block_undoes_its_inner_blocks_too(conn):
    with pytest.raises(ValueError), transaction(conn):
        insert_rows(conn, "items", COLUMNS, rows(1))
        with transaction(conn):
            insert_rows(conn, "items", COLUMNS, rows(1, start=1))
        raise ValueError
    assert not conn.in_transaction
    assert stored(conn) == []
