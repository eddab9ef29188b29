"""unit: berjasa.database.transaction — one transaction, savepoints when nested:
a failed inner block undoes only its own writes, at any depth."""

from __future__ import annotations

import pytest

from berjasa.database import connect, transaction


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "tx.db")
    conn.execute("CREATE TABLE items (name TEXT)")
    yield conn
    conn.close()


def names(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM items ORDER BY rowid")]


def add(conn, name: str) -> None:
    conn.execute("INSERT INTO items VALUES (?)", (name,))


def test_a_failed_inner_block_undoes_only_its_own_writes_at_every_depth(conn):
    with transaction(conn):
        add(conn, "outer")
        with transaction(conn):
            add(conn, "middle")
            with pytest.raises(ValueError), transaction(conn):
                add(conn, "inner")
                raise ValueError
            add(conn, "middle again")
        with pytest.raises(ValueError), transaction(conn):
            add(conn, "second")
            with transaction(conn):
                add(conn, "second's inner, kept until its outer fails")
            raise ValueError
        add(conn, "last")
    assert not conn.in_transaction
    assert names(conn) == ["outer", "middle", "middle again", "last"]


def test_a_failed_outer_block_undoes_everything(conn):
    with pytest.raises(ValueError), transaction(conn):
        add(conn, "outer")
        with transaction(conn):
            add(conn, "inner")
        raise ValueError
    assert not conn.in_transaction
    assert names(conn) == []
