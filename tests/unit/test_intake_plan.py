"""unit: server.intake_writer's planned write — a group of single POSTs planned without
reading the ids and NIKs held answers every item exactly as the plan that reads
them (retries, id conflicts, duplicate NIKs, erased ids, repeats inside the group)."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from berjasa.database import connect, transaction
from berjasa.problems import Problem
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker
from server import intake, intake_writer, privacy
from server.storage.audit import Actor, verify_chain

SETTINGS = load_settings(None)
ENUMERATOR = Actor("enumerator", "enumerator", "127.0.0.1")
OTHER = Actor("enumerator2", "enumerator", "127.0.0.1")


def held_records(conn, faker):
    """Three stored records: one to retry, one to conflict with, one NIK to repeat."""
    payloads = [faker.enrollment() for _ in range(4)]
    intake.create_batch(conn, payloads, ENUMERATOR, SETTINGS)
    privacy.erase_subject(conn, payloads[3]["nik"], "permintaan subjek data (uji)",
                          Actor("admin", "admin"))
    return payloads


def group(faker, stored, mix):
    """A group mixing every case (``all``), or only those no held row refuses
    (``unheld``: the plan's INSERT goes through), as (payload, actor)."""
    fresh = faker.enrollment()
    items = [
        (faker.enrollment(), ENUMERATOR),  # new
        (stored[0], ENUMERATOR),  # a retry: 200
        (stored[0], OTHER),  # the same content from someone else: id_conflict
        ({**stored[1], "notes": "lain"}, ENUMERATOR),  # the same id, other content
        ({**stored[2], "id": str(uuid.uuid4())}, OTHER),  # duplicate_nik
        (stored[3], ENUMERATOR),  # erased: refused
        (fresh, OTHER),  # new, then repeated inside the group:
        (fresh, OTHER),  # a retry of the one before it
        ({**fresh, "id": str(uuid.uuid4())}, ENUMERATOR),  # its NIK again
    ]
    if mix == "eight":  # a group of a few: planned without a savepoint (ONE_STATEMENT_ROWS)
        return items[:8]
    return items if mix == "all" else [items[0], *items[5:]]


def answers(conn, items, read_held):
    prepared = [intake.prepare(payload, SETTINGS) for payload, _ in items]
    with transaction(conn):
        outcomes = intake_writer._store_all(conn, prepared, [actor for _, actor in items],
                                     read_held=read_held)
    return [(o.status, o.to_dict()) if isinstance(o, Problem)
            else (o.status, o.record["id"], o.record["enumerator"]) for o in outcomes]


@pytest.mark.parametrize(("mix", "statuses"), [
    ("all", [201, 200, 409, 409, 409, 409, 201, 200, 409]),
    ("eight", [201, 200, 409, 409, 409, 409, 201, 200]),
    ("unheld", [201, 409, 201, 200, 409]),
])
def test_a_group_planned_without_reads_answers_as_the_reading_plan(tmp_path, data_dir, mix,
                                                                  statuses):
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    results, rows = [], []
    # one clock for both runs: a record captured "now" in each would differ in
    # captured_at (and so in its content hash) whenever the runs straddle a second
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    for folder, read_held in ((data_dir, True), (copy, False)):
        faker = EnrollmentFaker("73.71.01.1001", seed=5, start=start)
        conn = connect(folder / "kelurahan.db")
        items = group(faker, held_records(conn, faker), mix)
        results.append(answers(conn, items, read_held))
        rows.append([tuple(r) for r in conn.execute(
            "SELECT id, nik, enumerator, status, intake_hash FROM enrollments ORDER BY id")])
        assert verify_chain(conn)[1] is None
        conn.close()
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == statuses
    assert rows[0] == rows[1]


def test_a_batch_in_a_group_with_single_posts_is_decided_in_arrival_order(data_dir):
    """The writer's group may hold single POSTs and whole batches (server/intake.py:
    _write_group): each is decided in the order it came, against what the ones
    before it wrote in the same transaction."""
    faker = EnrollmentFaker("73.71.01.1001", seed=8)
    first, fresh = faker.enrollment(), faker.enrollment()
    same_nik = {**first, "id": str(uuid.uuid4())}
    entries = [
        (intake.prepare(first, SETTINGS), ENUMERATOR),  # single: new
        intake_writer.Batch([intake.prepare(same_nik, SETTINGS), intake.prepare(fresh, SETTINGS)],
                      OTHER),  # batch: the first's NIK again, then a new record
        (intake.prepare(first, SETTINGS), ENUMERATOR),  # single: a retry of the first
        (intake.prepare(fresh, SETTINGS), ENUMERATOR),  # single: the batch's record, by another
    ]
    conn = connect(data_dir / "kelurahan.db")
    with transaction(conn):
        answers = intake_writer._write_group(conn, entries)
    assert [type(a).__name__ for a in answers] == ["Outcome", "list", "Outcome", "IdConflict"]
    assert answers[0].status == 201 and answers[2].status == 200
    duplicate, created = answers[1]
    assert isinstance(duplicate, Problem) and duplicate.to_dict()["code"] == "duplicate_nik"
    assert created.status == 201 and created.record["enumerator"] == "enumerator2"
    stored = {r[0]: r[1] for r in conn.execute("SELECT id, enumerator FROM enrollments")}
    assert stored[first["id"]] == "enumerator" and stored[fresh["id"]] == "enumerator2"
    assert same_nik["id"] not in stored
    assert verify_chain(conn)[1] is None
    conn.close()


def test_the_writers_connection_keeps_statement_journals_in_memory(data_dir):
    """The app's writer (``group_writer(db_path)``) writes on a connection with
    ``temp_store=MEMORY``: a batch's multi-row INSERTs inside its savepoint copy the
    pages they change into a statement journal, which otherwise spilled past 64 KiB
    into a temporary file (opened, unlinked, two writes a page: 4.3 writes a record)."""
    writer = intake_writer.group_writer(str(data_dir / "kelurahan.db"))
    conn = connect(data_dir / "kelurahan.db")
    faker = EnrollmentFaker("73.71.01.1001", seed=9)
    results = intake.create_batch(conn, [faker.enrollment() for _ in range(200)], ENUMERATOR,
                                  SETTINGS, writer)
    assert {r["status"] for r in results} == {201}
    assert writer._writer_connection().execute("PRAGMA temp_store").fetchone()[0] == 2
    conn.close()
