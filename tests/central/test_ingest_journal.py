"""A batch's transaction at central keeps SQLite's statement journal in memory: past
64 KiB it spilled to a temporary file (``etilqs_*``: open, unlink, two writes a page;
bench/README.md "Session q"). SQLite only: PostgreSQL has no statement journal."""

from __future__ import annotations

import os
from pathlib import Path

from berjasa.synthetic import approved_records
from central import ingest
from central.storage.db import Database, migrate, utc_now
from central.storage.devices import add_device
from sync import protocol

KELURAHAN = "73.71.01.1001"
MEMORY = 2  # PRAGMA temp_store: 0 default, 1 file, 2 memory


def _temporary_files_open() -> list[str] | None:
    """SQLite's temporary files this process holds open (Linux: /proc), else None."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return None
    names = []
    for fd in fds.iterdir():
        try:
            names.append(os.readlink(fd))
        except OSError:  # closed while listed
            continue
    return [name for name in names if "etilqs" in name]


def test_a_batch_journals_in_memory_and_the_connection_is_left_as_it_was(tmp_path, monkeypatch):
    db = Database(f"sqlite:///{tmp_path / 'central.db'}", data_dir=tmp_path)
    seen: list[tuple[int, list[str] | None]] = []
    add_batch = ingest.store.add_batch

    def noting_add_batch(db_: Database, row: dict) -> None:
        # the batch's records are written by now; the transaction is still open
        seen.append((db_.one("PRAGMA temp_store")["temp_store"], _temporary_files_open()))
        add_batch(db_, row)

    monkeypatch.setattr(ingest.store, "add_batch", noting_add_batch)
    try:
        migrate(db)
        with db.transaction():
            add_device(db, "dev-uji", KELURAHAN, "uji", "-", utc_now())
        batch = protocol.new_batch("dev-uji", KELURAHAN, approved_records(150, KELURAHAN, seed=3))
        _answer, replayed = ingest.ingest_batch(db, batch, 1, 4)
        assert not replayed
        assert db.one("SELECT count(*) AS n FROM records")["n"] == 150
        assert seen[0][0] == MEMORY
        assert seen[0][1] in (None, [])  # no statement journal in a temporary file
        assert db.one("PRAGMA temp_store")["temp_store"] == 0  # outside the batch: as before
    finally:
        db.close()
