"""Group commit for SQLite writes: concurrent callers' items share one transaction.

:class:`GroupCommit` lets N request threads writing at once cost one write lock and
one fsync instead of N; each caller still returns only after the transaction that
holds its item has committed (:func:`berjasa.database.transaction`). The kelurahan's
single POSTs go through it (``server.intake_writer.group_writer``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from berjasa.database import transaction

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class _Waiter(Generic[Item, Answer]):
    """One caller's item in a :class:`GroupCommit`, and what became of it."""

    __slots__ = ("answer", "answered", "error", "item", "turn")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.answered = False
        self.answer: Any = None
        self.error: BaseException | None = None
        # Held from the moment this caller decides to wait until it is answered or it
        # is its turn to write; made only for a caller that waits (under the group's
        # lock): a leader never needs one. A plain lock released by the waker (what
        # ``Event`` does underneath, without its condition and the second lock every
        # ``wait`` allocates).
        self.turn: threading.Lock | None = None

    def wait(self) -> None:
        """Block until :meth:`wake` (at once when it came first)."""
        assert self.turn is not None
        self.turn.acquire()

    def wake(self) -> None:
        """Let this caller go on (if it waits). A waiter that is woken to lead is
        woken again with its own group, by then holding ``turn`` again (its wait
        took it back)."""
        if self.turn is not None:
            self.turn.release()

    def result(self) -> Answer:
        if self.error is not None:
            raise self.error
        return self.answer


class GroupCommit(Generic[Item, Answer]):
    """Group commit: writes that arrive while another is committing share the next
    transaction, so N concurrent callers cost one write lock and one fsync instead
    of N (what databases do with a commit delay, here without any delay).

    The first caller to find no write in progress leads: it takes every queued
    item, writes them with ``write_many(conn, items)`` in one transaction on its own
    connection, answers each caller, and hands the lead to the oldest caller that
    queued meanwhile. Every caller returns only after the transaction holding its
    item has committed, so an acknowledgement still means durable. ``write_many``
    answers each item in order and must not raise for one item's fault (return it
    as that item's answer); an exception fails the whole group, and every caller in
    it raises it. One instance per database file, shared by its request threads.

    With ``connect`` the groups are written on one connection the writer opens on
    first use and keeps, not on the leader's own: SQLite drops a connection's page
    cache whenever another connection has committed, so request connections taking
    turns at writing each read the tables' and indexes' pages again (15 reads per
    single enrollment); the writer's own connection keeps them.
    """

    def __init__(self, write_many: Callable[[sqlite3.Connection, list[Item]], list[Answer]],
                 connect: Callable[[], sqlite3.Connection] | None = None) -> None:
        self._write_many = write_many
        self._connect = connect
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._queue: list[_Waiter[Item, Answer]] = []
        self._writing = False

    def write(self, conn: sqlite3.Connection, item: Item) -> Answer:
        """Write one item, grouped with the items of concurrent callers; its answer."""
        waiter: _Waiter[Item, Answer] = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            leads = not self._writing
            self._writing = True
            if not leads:
                waiter.turn = threading.Lock()
                waiter.turn.acquire()
        if not leads:
            waiter.wait()
            if waiter.answered:
                return waiter.result()
        self._lead(conn)
        return waiter.result()

    def _lead(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            group, self._queue = self._queue, []
        if self._connect is not None:
            conn = self._writer_connection()
        try:
            with transaction(conn):
                answers = self._write_many(conn, [waiter.item for waiter in group])
            for waiter, answer in zip(group, answers, strict=True):
                waiter.answer = answer
        except BaseException as exc:  # noqa: BLE001 - every caller of the group raises it
            if conn is self._connection and conn.in_transaction:
                conn.rollback()  # a failed COMMIT leaves it open; no request teardown here
            for waiter in group:
                waiter.error = exc
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                self._writing = following is not None
            for waiter in group:
                waiter.answered = True
                waiter.wake()
            if following is not None:
                following.wake()

    def _writer_connection(self) -> sqlite3.Connection:
        """The writer's own connection (only the leader, one at a time, uses it)."""
        if self._connection is None:
            assert self._connect is not None
            self._connection = self._connect()
        return self._connection
