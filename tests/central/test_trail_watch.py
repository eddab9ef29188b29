"""The auditor page's chain check (``central.trail.TrailWatch``): the whole trail is
recomputed at most every ``full_every`` seconds, when asked, or when an entry it
verified is gone or rewritten; in between each view checks the entries written
since, chained on from the last one verified. Whatever path a view takes, what it
reports for the entries it checked is what ``trail.verify`` reports."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from berjasa.audit import Actor, entry_hash
from central import trail
from central.storage.db import Database

OFFICER = Actor("operator-1", "operator", "10.20.0.7")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(migrated_database_url: str, tmp_path: Path):
    folder = tmp_path / "pusat"
    folder.mkdir()
    with closing(Database(migrated_database_url, data_dir=folder)) as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watch(clock: Clock) -> trail.TrailWatch:
    return trail.TrailWatch(full_every=300, clock=clock)


def _write(db: Database, count: int) -> None:
    for n in range(count):
        trail.record(db, OFFICER, "download.payment-list", "payment-list", {"rows": [None, n]})


def _without_guards(db: Database) -> None:
    if db.dialect == "sqlite":
        db.run("DROP TRIGGER IF EXISTS audit_log_no_update")
        db.run("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        db.run("ALTER TABLE audit_log DISABLE TRIGGER USER")


def test_views_count_every_entry_and_keep_the_time_of_the_whole_check(db, watch, clock):
    _write(db, 4)
    first = watch.status(db)
    assert (first.checked, first.broken) == (4, None)
    _write(db, 3)
    clock.now += 10
    second = watch.status(db)
    assert (second.checked, second.broken, second.full_at) == (7, None, first.full_at)
    assert second.checked == trail.verify(db)[0]
    clock.now += 300  # the whole check is too old: recomputed
    third = watch.status(db)
    assert third.checked == 7 and third.full_at > first.full_at


def test_an_empty_trail_then_new_entries(db, watch):
    assert watch.status(db).checked == 0
    _write(db, 2)
    assert (watch.status(db).checked, watch.status(db).broken) == (2, None)


def test_a_new_entry_rewritten_is_found_by_the_next_view(db, watch):
    _write(db, 3)
    assert watch.status(db).broken is None
    _write(db, 2)
    _without_guards(db)
    db.run("UPDATE audit_log SET actor = ? WHERE seq = 5", ("orang lain",))
    status = watch.status(db)
    assert status.broken == {"seq": 5, "problem": "content changed after writing"}
    assert status.checked == 4


def test_a_new_entry_rechained_without_the_key_fails_its_seal(db, watch):
    _write(db, 3)
    watch.status(db)
    _write(db, 1)
    _without_guards(db)
    row = db.one("SELECT * FROM audit_log WHERE seq = 4")
    row["actor"] = "orang lain"
    db.run("UPDATE audit_log SET actor = ?, entry_hash = ? WHERE seq = 4",
           (row["actor"], entry_hash(row)))
    assert watch.status(db).broken["problem"].startswith("seal does not match")


def _delete(db: Database, seq: int) -> None:
    _without_guards(db)
    if db.dialect == "sqlite":
        db.run("DROP TRIGGER IF EXISTS audit_seals_no_delete")
    else:
        db.run("ALTER TABLE audit_seals DISABLE TRIGGER USER")
    db.run("DELETE FROM audit_seals WHERE seq = ?", (seq,))
    db.run("DELETE FROM audit_log WHERE seq = ?", (seq,))


def test_the_last_verified_entry_rewritten_makes_the_view_check_everything(db, watch):
    _write(db, 3)
    watch.status(db)
    _without_guards(db)
    db.run("UPDATE audit_log SET entry_hash = ? WHERE seq = 3", ("0" * 64,))
    status = watch.status(db)
    assert status.broken == {"seq": 3, "problem": "content changed after writing"}
    assert status.broken == trail.verify(db)[1]


def test_an_entry_deleted_behind_the_mark_waits_for_the_whole_check(db, watch, clock):
    _write(db, 3)
    watch.status(db)
    _delete(db, 2)
    assert watch.status(db).broken is None  # the page says when it last checked everything
    clock.now += 300
    assert watch.status(db).broken == {"seq": 2, "problem": "missing entry (deleted?)"}


def test_the_last_entries_deleted_are_missing_though_the_rest_still_chains(db, watch):
    """``trail.verify`` cannot tell a trail cut short from one that ended there; the
    page's watch remembers how far it verified."""
    _write(db, 4)
    watch.status(db)
    _delete(db, 4)
    _delete(db, 3)
    assert trail.verify(db) == (2, None)
    status = watch.status(db)
    assert status.broken == {"seq": 3, "problem": "missing entry (deleted?)"}
    assert watch.status(db, full=True).broken == status.broken


def test_an_old_entry_rewritten_waits_for_the_whole_check_or_the_button(db, watch, clock):
    """The documented trade: an edit behind the mark (which the triggers refuse; a
    database administrator can drop them) shows at the next whole check, at most
    ``full_every`` later, or at once with ``full=True`` (the page's link)."""
    _write(db, 5)
    watch.status(db)
    _without_guards(db)
    db.run("UPDATE audit_log SET action = ? WHERE seq = 2", ("user.create",))
    assert watch.status(db).broken is None  # not recomputed yet: the page says since when
    found = watch.status(db, full=True).broken
    assert found == {"seq": 2, "problem": "content changed after writing"}
    clock.now += 1
    assert watch.status(db).broken == found  # a broken chain is never remembered as intact


def test_a_broken_chain_is_checked_whole_again_at_the_next_view(db, watch, clock):
    _write(db, 3)
    _without_guards(db)
    db.run("UPDATE audit_log SET action = ? WHERE seq = 2", ("user.create",))
    assert watch.status(db).broken["seq"] == 2
    clock.now += 1
    assert watch.status(db).broken["seq"] == 2
