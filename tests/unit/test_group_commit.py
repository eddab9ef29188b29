"""unit: berjasa.group_commit.GroupCommit — concurrent writes sharing one transaction,
on a real SQLite file with real threads."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from berjasa.database import connect
from berjasa.group_commit import GroupCommit


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "group.db"
    conn = connect(path)
    conn.execute("CREATE TABLE items (value INTEGER PRIMARY KEY, txid INTEGER)")
    conn.close()
    return path


def run_threads(count: int, target) -> list:
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each caller got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a caller never got its answer"
    return results


def test_callers_that_queue_during_a_write_share_the_next_transaction(db_path):
    first_group_started, release_first = threading.Event(), threading.Event()
    groups: list[list[int]] = []

    def write_many(conn: sqlite3.Connection, values: list[int]) -> list[str]:
        groups.append(list(values))
        if len(groups) == 1:  # hold the first group until every other caller queued
            first_group_started.set()
            assert release_first.wait(10)
        txid = len(groups)
        conn.executemany("INSERT INTO items VALUES (?, ?)", [(v, txid) for v in values])
        return [f"stored {v}" for v in values]

    writer = GroupCommit(write_many)
    queued = threading.Semaphore(0)

    def caller(index: int) -> str:
        conn = connect(db_path)
        try:
            if index:
                assert first_group_started.wait(10)
                queued.release()
            answer = writer.write(conn, index)
            # answered only after the commit: a fresh connection already sees it
            other = connect(db_path)
            assert other.execute("SELECT 1 FROM items WHERE value = ?", (index,)).fetchone()
            other.close()
            return answer
        finally:
            conn.close()

    def release_when_all_queued() -> None:
        for _ in range(7):
            assert queued.acquire(timeout=10)
        threading.Event().wait(0.2)  # the seven reach the queue after signalling
        release_first.set()

    releaser = threading.Thread(target=release_when_all_queued)
    releaser.start()
    results = run_threads(8, caller)
    releaser.join()
    assert results == [f"stored {i}" for i in range(8)]
    assert groups[0] == [0]
    assert sorted(groups[1]) == list(range(1, 8)), groups  # one transaction for the seven
    conn = connect(db_path)
    assert tuple(conn.execute("SELECT COUNT(DISTINCT txid), COUNT(*) FROM items").fetchone()) == (2, 8)
    conn.close()


def test_a_failed_group_fails_each_of_its_callers_and_the_next_group_still_writes(db_path):
    calls = 0

    def write_many(conn: sqlite3.Connection, values: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        conn.executemany("INSERT INTO items VALUES (?, 0)", [(v,) for v in values])
        if calls == 1:
            raise sqlite3.OperationalError("database or disk is full")
        return values

    writer = GroupCommit(write_many)
    conn = connect(db_path)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        writer.write(conn, 1)
    # nothing of the failed group was committed, and the writer is not stuck
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
    assert writer.write(conn, 2) == 2
    results = run_threads(6, lambda i: writer.write(connect(db_path), 10 + i))
    assert results == [10 + i for i in range(6)]
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 7
    conn.close()


def test_an_answer_count_that_does_not_match_fails_the_group(db_path):
    writer = GroupCommit(lambda conn, values: [])
    conn = connect(db_path)
    with pytest.raises(ValueError):
        writer.write(conn, 1)
    conn.close()


def test_with_connect_every_group_is_written_on_the_writers_one_connection(db_path):
    """The groups go through one connection the writer keeps (its page cache stays
    warm), never the callers'; a COMMIT that fails (a deferred foreign key) fails
    that group and leaves the connection ready for the next one."""
    conn = connect(db_path)
    conn.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE children (parent INTEGER REFERENCES parents(id)"
                 " DEFERRABLE INITIALLY DEFERRED)")
    used: list[sqlite3.Connection] = []
    opened: list[sqlite3.Connection] = []

    def write_many(written: sqlite3.Connection, values: list[int]) -> list[int]:
        used.append(written)
        if values == [-1]:  # a child of no parent: refused only at COMMIT
            written.execute("INSERT INTO children VALUES (-1)")
        else:
            written.executemany("INSERT INTO items VALUES (?, 0)", [(v,) for v in values])
        return values

    def open_writer() -> sqlite3.Connection:
        opened.append(connect(db_path))
        return opened[-1]

    writer = GroupCommit(write_many, open_writer)
    assert writer.write(conn, 1) == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        writer.write(conn, -1)
    results = run_threads(4, lambda i: writer.write(connect(db_path), 10 + i))
    assert results == [10 + i for i in range(4)]
    assert len(opened) == 1 and all(written is opened[0] for written in used)
    assert not opened[0].in_transaction
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM children").fetchone()[0] == 0
    conn.close()
