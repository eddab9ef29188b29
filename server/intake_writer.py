"""The enrollment writer: deciding and storing validated enrollments inside one
transaction, as :mod:`server.intake` hands them over. Its entries are single POSTs,
``(Prepared, Actor)``, and whole outboxes (:class:`Batch`), written together by the
app's group commit (:func:`group_writer`; docs/architecture.md, "Group commit of
single POSTs"). Each item is decided as design.md's replay rules say: an id held
is a retry (200) or ``id_conflict``, an erased id ``erased``, an active NIK
``duplicate_nik``; a new record is inserted with its audit entry.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from typing import Any

from berjasa import identity
from berjasa.database import ONE_STATEMENT_ROWS, connect, transaction, utc_now
from berjasa.group_commit import GroupCommit
from berjasa.problems import DuplicateNik, IdConflict, Problem, RecordErased
from berjasa.pseudonyms import key_for_connection
from server import erased_niks
from server.storage import enrollments as store
from server.storage import privacy as privacy_store
from server.storage.audit import Actor, record_audit_entries


@dataclass
class Outcome:
    """What an intake call did: the HTTP status and the record; for a record the
    plan inserted, the columns it wrote (:func:`server.storage.enrollments.stored_row`)."""

    status: int
    record: dict[str, Any]
    columns: dict[str, Any] | None = None


def identity_warnings(values: dict[str, Any]) -> list[dict[str, str]]:
    """Soft findings on NIK and KK (e.g. first registered outside Makassar)."""
    return [{"field": field, "code": problem.code, "message": problem.message}
            for field, kind in (("nik", "nik"), ("kk_number", "kk"))
            for problem in identity.region_warnings(values[field], kind)]


@dataclass
class Prepared:
    """A payload that passed validation: its stored values and content hash."""

    values: dict[str, Any]
    digest: str


def _replay(existing: dict[str, Any], item: Prepared, actor: Actor) -> Outcome | Problem:
    """The answer to an id already held: a retry (200) or an id conflict."""
    if existing["intake_hash"] == item.digest and existing["enumerator"] == actor.username:
        return Outcome(200, existing)
    return IdConflict()


def _new_record(item: Prepared, actor: Actor) -> dict[str, Any]:
    """The row of a new enrollment."""
    now = utc_now()
    return {
        **item.values,
        "warnings": identity_warnings(item.values),
        "intake_hash": item.digest,
        "status": "submitted",
        "version": 1,
        "enumerator": actor.username,
        "last_edited_by": actor.username,
        "received_at": now,
        "updated_at": now,
    }


def _created(record: dict[str, Any]) -> tuple:
    """The audit item of a new enrollment."""
    return ("enrollment.create", record["id"],
            {"status": [None, "submitted"], "content_hash": [None, record["intake_hash"]]}, None)


@dataclass
class Batch:
    """A whole outbox as one entry of the group writer."""

    prepared: list[Prepared | Problem]
    actor: Actor


def group_writer(db_path: str | None = None) -> GroupCommit:
    """A group commit for enrollments: one per database, shared by the request
    threads (the kelurahan app makes one at start, with ``db_path``: then the groups
    are written on one connection of its own, whose page and statement caches stay
    warm). Its entries are single POSTs, ``(Prepared, Actor)``, and whole batches."""
    return GroupCommit(_write_group, (lambda: writer_connection(db_path)) if db_path else None)


def writer_connection(db_path: str) -> sqlite3.Connection:
    """The group writer's own connection: :func:`berjasa.database.connect`'s, with its
    statement journals kept in memory (``temp_store=MEMORY``). Inside a transaction,
    SQLite copies every page a multi-row INSERT (or any statement in a savepoint)
    changes into a statement journal first; past 64 KiB it spilled that journal to a
    temporary file (open, unlink, two writes a page): 6.6 writes a single POST and
    4.3 a ``:batch`` record. The journal only undoes a statement inside its own
    transaction; durability (the WAL and its fsync) is untouched."""
    conn = connect(db_path)
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def _write_group(conn: sqlite3.Connection, entries: list[Any]) -> list[Any]:
    """Inside the group's transaction, in arrival order: each run of single POSTs
    planned at once without reading what is held (``_store_all``'s ``read_held``),
    each batch as :func:`server.intake.create_batch` plans it (reading first: an
    outbox is often sent again). A batch's answer is its list of outcomes."""
    answers: list[Any] = []
    for is_batch, run in itertools.groupby(entries, key=lambda entry: isinstance(entry, Batch)):
        if is_batch:
            answers += [_store_all(conn, batch.prepared, [batch.actor] * len(batch.prepared))
                        for batch in run]
        else:
            singles = list(run)
            answers += _store_all(conn, [item for item, _ in singles],
                                  [actor for _, actor in singles], read_held=False)
    return answers


def _store_one(conn: sqlite3.Connection, item: Prepared, actor: Actor) -> Outcome:
    """Store one prepared enrollment in its own transaction (a savepoint inside a
    batch); the Outcome, or the Problem raised. A new record (the usual case) is
    simply inserted: only when the database refuses it is the id looked up, to
    tell a retry from a conflict (the id is answered first, as always)."""
    record = _new_record(item, actor)
    key = key_for_connection(conn)
    with transaction(conn):
        if privacy_store.erased_ids(conn, [record["id"]]):
            raise RecordErased()
        _mark_erased_nik(record, erased_niks.erasure_times(conn, [record["nik"]]))
        try:
            store.insert_enrollment(conn, record)
        except (IdConflict, DuplicateNik):
            existing = store.get_enrollment(conn, item.values["id"])
            if existing is None:
                raise
            answer = _replay(existing, item, actor)
            if isinstance(answer, Problem):
                raise answer from None
            return answer
        record_audit_entries(conn, actor, [_created(record)], key)
    return Outcome(201, record)


class _InsertRefused(Exception):
    """The plan's INSERT of enrollments was refused (sqlite3.IntegrityError)."""


def _store_all(conn: sqlite3.Connection, prepared: list[Prepared | Problem],
               actors: list[Actor], read_held: bool = True) -> list[Outcome | Problem]:
    """Inside the caller's transaction: every item's outcome, in order, written as
    one plan; if the database refuses it, one item at a time. ``read_held=False``
    (a group of single POSTs: new records, almost always) plans without reading
    the ids and NIKs held: a held one makes the plan's INSERT fail, and the items
    are then decided one at a time as :func:`_store_one` does, with the same
    answers; a batch (often an outbox sent again) reads them first.

    A plan is written whole or not at all. A batch's plan runs in a savepoint (its
    INSERTs are several statements). A group of a few single POSTs needs none: its
    INSERT of enrollments is one statement (``insert_rows``, up to
    ``ONE_STATEMENT_ROWS`` rows) and the plan's first write, and a statement the
    database refuses leaves nothing behind; any later failure fails the group's
    transaction (the savepoint and the one-at-a-time path could not have saved it:
    its audit write would fail the same way)."""
    if read_held or len(prepared) > ONE_STATEMENT_ROWS:
        try:
            with transaction(conn):  # a savepoint
                return _store_planned(conn, prepared, actors, read_held)
        except (sqlite3.IntegrityError, _InsertRefused):
            pass
    else:
        try:
            return _store_planned(conn, prepared, actors, read_held)
        except _InsertRefused:
            pass
    return [item if isinstance(item, Problem) else _attempt(conn, item, actor)
            for item, actor in zip(prepared, actors)]


def _attempt(conn: sqlite3.Connection, item: Prepared, actor: Actor) -> Outcome | Problem:
    """:func:`_store_one`, with its Problem as the answer."""
    try:
        return _store_one(conn, item, actor)
    except Problem as problem:
        return problem


def _store_planned(conn: sqlite3.Connection, prepared: list[Prepared | Problem],
                   actors: list[Actor], read_held: bool = True) -> list[Outcome | Problem]:
    """Decide every prepared item in order against the ids and active NIKs held
    (read unless ``read_held`` is False) and those of the items before it, then
    insert the new ones at once. Each item is decided and audited as its own
    actor's."""
    valid = [item for item in prepared if isinstance(item, Prepared)]
    held: dict[str, dict[str, Any]] = {}
    holders: dict[str, str] = {}
    if read_held:
        held = store.intake_keys(conn, [item.values["id"] for item in valid])
        holders = store.active_ids_for_niks(conn, [item.values["nik"] for item in valid])
    erased = privacy_store.erased_ids(conn, [item.values["id"] for item in valid])
    erased_at = erased_niks.erasure_times(conn, [item.values["nik"] for item in valid])
    outcomes: list[Outcome | Problem] = []
    new: list[tuple[Actor, dict[str, Any]]] = []
    created: list[Outcome] = []
    for item, actor in zip(prepared, actors, strict=True):
        if isinstance(item, Problem):
            outcomes.append(item)
            continue
        record_id, nik = item.values["id"], item.values["nik"]
        if record_id in held:
            outcomes.append(_replay(held[record_id], item, actor))
            continue
        if record_id in erased:
            outcomes.append(RecordErased())
            continue
        if nik in holders:
            outcomes.append(DuplicateNik(existing_id=holders[nik]))
            continue
        record = _new_record(item, actor)
        try:
            _mark_erased_nik(record, erased_at)
        except RecordErased as refused:
            outcomes.append(refused)
            continue
        held[record_id], holders[nik] = record, record_id
        new.append((actor, record))
        created.append(Outcome(201, record))
        outcomes.append(created[-1])
    try:
        written = store.insert_enrollments(conn, [record for _, record in new])
    except sqlite3.IntegrityError as exc:
        raise _InsertRefused() from exc
    for outcome, columns in zip(created, written, strict=True):
        outcome.columns = columns
    for actor, records in itertools.groupby(new, key=lambda pair: pair[0]):
        record_audit_entries(conn, actor, [_created(record) for _, record in records])
    return outcomes


def _mark_erased_nik(record: dict[str, Any], erased_at: dict[str, str]) -> None:
    """A new record whose NIK was erased here at its owner's request
    (:mod:`server.erased_niks`): RecordErased raised when it was captured before the
    erasure, else the supervisor's warning added to its ``warnings``."""
    found = erased_niks.judge(record, erased_at.get(record["nik"]))
    if isinstance(found, RecordErased):
        raise found
    if found:
        record["warnings"] = [*record["warnings"], found]
