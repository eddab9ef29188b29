"""Central's audit trail is sealed as the kelurahan's (docs/audit-chain.md): every
entry gets a keyed seal in the same transaction, by a key from central's data folder
that is not in the database. A rewrite with every SHA-256 hash recomputed, or a seal
deleted, is found by ``trail.verify`` (the auditor's page and ``central audit
verify``); a trail written before sealing is sealed once, and only if it verifies."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from berjasa.audit import SYSTEM, Actor, entry_hash, next_entry
from central import trail
from central.storage import audit as store
from central.storage.db import Database

OFFICER = Actor("operator-1", "operator", "10.20.0.7")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "pusat"
    made.mkdir()
    return made


@pytest.fixture
def db(migrated_database_url: str, folder: Path):
    with closing(Database(migrated_database_url, data_dir=folder)) as opened:
        yield opened


def _write(db: Database, count: int) -> None:
    for n in range(count):
        trail.record(db, OFFICER, "download.payment-list", "payment-list", {"rows": [None, n]})


def _without_guards(db: Database, table: str):
    """Drop the append-only guard of ``table`` (what a database administrator can do)."""
    if db.dialect == "sqlite":
        db.run(f"DROP TRIGGER {table}_no_update")
        db.run(f"DROP TRIGGER {table}_no_delete")
    else:
        db.run(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def _rechain_from(db: Database, seq: int) -> None:
    """Recompute every SHA-256 hash from ``seq`` on, as a forger who knows the format."""
    rows = db.query("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", (seq,))
    prev = db.one("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq - 1,))["entry_hash"]
    for row in rows:
        row["prev_hash"] = prev
        prev = entry_hash(row)
        db.run("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
               (row["prev_hash"], prev, row["seq"]))


def test_every_entry_is_sealed_and_the_trail_verifies(db):
    _write(db, 5)
    assert trail.verify(db) == (5, None)
    sealed = db.query("SELECT seq FROM audit_seals ORDER BY seq")
    assert [r["seq"] for r in sealed] == [1, 2, 3, 4, 5]
    # the seal is keyed: not a hash anyone can recompute from the row
    mac = db.one("SELECT mac FROM audit_seals WHERE seq = 1")["mac"]
    assert mac != db.one("SELECT entry_hash FROM audit_log WHERE seq = 1")["entry_hash"]


def test_a_rewrite_with_every_hash_recomputed_is_found_by_its_seal(db):
    _write(db, 6)
    _without_guards(db, "audit_log")
    db.run("UPDATE audit_log SET actor = ? WHERE seq = 3", ("orang-lain",))
    _rechain_from(db, 3)
    assert trail.verify(db, seals=False) == (6, None)  # the SHA-256 chain alone is fooled
    checked, broken = trail.verify(db)
    assert checked == 2 and broken["seq"] == 3
    assert broken["problem"].startswith("seal does not match")


def test_a_deleted_seal_is_reported_missing_and_never_sealed_again(db, folder):
    _write(db, 4)
    assert trail.seal_unsealed(db) == 0  # everything sealed as written; the folder is marked
    assert (folder / "audit.sealed").exists()
    _without_guards(db, "audit_seals")
    db.run("DELETE FROM audit_seals WHERE seq = 2")
    assert trail.seal_unsealed(db) == 0  # the folder's trail was sealed once already
    checked, broken = trail.verify(db)
    assert (checked, broken["seq"]) == (1, 2) and broken["problem"].startswith("seal missing")


def _append_unsealed(db: Database, count: int) -> None:
    """Entries as a central before sealing wrote them (no seal rows)."""
    for _ in range(count):
        last = db.one("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        e = next_entry(last, "2026-11-01T08:00:00+00:00", SYSTEM, "login")
        db.run("INSERT INTO audit_log (seq, at, actor, role, action, record_id, changes, reason,"
               " address, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               tuple(e[k] for k in ("seq", "at", "actor", "role", "action", "record_id",
                                    "changes", "reason", "address", "prev_hash", "entry_hash")))


def test_a_trail_from_before_sealing_is_sealed_once_when_it_verifies(db, folder):
    _append_unsealed(db, 3)
    assert trail.verify(db)[1]["problem"].startswith("seal missing")
    assert trail.seal_unsealed(db) == 3
    assert (folder / "audit.sealed").exists()
    _write(db, 2)  # new entries are sealed as they are written
    assert trail.verify(db) == (5, None)
    assert trail.seal_unsealed(db) == 0


def test_a_broken_trail_from_before_sealing_is_never_sealed(db, folder):
    _append_unsealed(db, 3)
    _without_guards(db, "audit_log")
    db.run("UPDATE audit_log SET action = ? WHERE seq = 2", ("user.create",))
    assert trail.seal_unsealed(db) == 0
    assert not (folder / "audit.sealed").exists()
    assert db.query("SELECT seq FROM audit_seals") == []
    assert trail.verify(db)[1]["seq"] == 1  # its own seal is missing: reported, not hidden


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: the file's folder
def test_an_entry_cannot_be_written_without_the_data_folders_key(migrated_database_url):
    with closing(Database(migrated_database_url)) as keyless:
        with pytest.raises(store.SealKeyMissing):
            trail.record(keyless, OFFICER, "login")
        assert keyless.query("SELECT seq FROM audit_log") == []


def test_the_newest_entries_deleted_with_their_seals_left_are_missing(db):
    _write(db, 5)
    _without_guards(db, "audit_log")
    if db.dialect == "sqlite":  # as the sqlite3 shell opens a file: foreign keys off
        db.run("PRAGMA foreign_keys = OFF")
    else:  # a superuser switches off the foreign key's own triggers too
        db.run("ALTER TABLE audit_log DISABLE TRIGGER ALL")
    db.run("DELETE FROM audit_log WHERE seq >= 4")
    assert trail.verify(db, seals=False) == (3, None)  # the chain alone is fooled
    checked, broken = trail.verify(db)
    assert (checked, broken["seq"]) == (3, 4) and "its seal remains" in broken["problem"]
