"""The audit chain's keyed seal (issue 13 item 2): someone who can write the
database but does not hold the data folder's key cannot rewrite history, even
recomputing every SHA-256 hash; deleted seals are reported, never re-sealed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from berjasa.database import connect
from server.accounts import add_user
from server.install import init_kelurahan
from server.storage.audit import Actor, entry_hash
from tests.helpers import berjasa


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder as `berjasa init` + two `user add` leave it (in-process, for speed)."""
    path = tmp_path / "data"
    init_kelurahan(path, "73.71.01.1001")
    conn = connect(path / "kelurahan.db")
    try:
        for name in ("siti", "baso"):
            add_user(conn, name, "supervisor", "kata-sandi-uji-123", Actor("cli", "admin"))
    finally:
        conn.close()
    return path


def _verify(folder: Path) -> dict:
    return json.loads(berjasa("audit", "verify", "--json", data_dir=folder).stdout)


def _as_a_writer(folder: Path, *statements: str) -> None:
    """What a database writer can do: run ``statements`` on the register and commit
    (dropping a guard trigger first, deleting rows after)."""
    conn = sqlite3.connect(folder / "kelurahan.db")
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _rewrite_with_recomputed_hashes(folder: Path, seq: int, actor: str) -> None:
    """What a database writer can do: change an entry and recompute the chain."""
    conn = sqlite3.connect(folder / "kelurahan.db")
    conn.row_factory = sqlite3.Row
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = ? WHERE seq = ?", (actor, seq))
    prev = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq - 1,)).fetchone()[0]
    for row in conn.execute("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", (seq,)).fetchall():
        entry = {**dict(row), "prev_hash": prev}
        entry["entry_hash"] = entry_hash(entry)
        conn.execute("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
                     (entry["prev_hash"], entry["entry_hash"], row["seq"]))
        prev = entry["entry_hash"]
    conn.commit()
    conn.close()


def test_history_rewritten_with_recomputed_hashes_is_caught(folder):
    assert _verify(folder) == {"intact": True, "checked": 3}
    _rewrite_with_recomputed_hashes(folder, 3, "orang-lain")
    answer = _verify(folder)
    assert answer["intact"] is False and answer["broken"]["seq"] == 3
    assert "seal does not match" in answer["broken"]["problem"]


def test_deleted_seals_are_reported_and_never_sealed_again(folder):
    _as_a_writer(folder, "DROP TRIGGER audit_seals_no_delete", "DELETE FROM audit_seals WHERE seq >= 2")
    _rewrite_with_recomputed_hashes(folder, 2, "orang-lain")
    berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=folder)  # reopening seals nothing
    answer = _verify(folder)
    assert answer["intact"] is False and answer["broken"]["seq"] == 2
    assert "seal missing" in answer["broken"]["problem"]


def test_a_folder_from_before_sealing_is_sealed_once_at_init(folder):
    # as an upgraded folder: no seals yet
    _as_a_writer(folder, "DROP TRIGGER audit_seals_no_delete", "DELETE FROM audit_seals")
    (folder / "audit.sealed").unlink()
    assert _verify(folder)["broken"]["problem"].startswith("seal missing")
    assert berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=folder).returncode == 0
    assert _verify(folder) == {"intact": True, "checked": 3}
    assert (folder / "audit.sealed").exists()


def test_without_the_folder_key_nothing_verifies(folder, tmp_path):
    """The seal key is outside the database: a copy of kelurahan.db alone, checked
    with another folder's key, does not verify (and could not be re-sealed)."""
    other = tmp_path / "lain"
    other.mkdir()
    (other / "kelurahan.db").write_bytes((folder / "kelurahan.db").read_bytes())
    answer = _verify(other)
    assert answer["intact"] is False and "seal does not match" in answer["broken"]["problem"]


def test_the_newest_entries_deleted_with_their_seals_left_are_missing(folder):
    """The chain alone cannot tell a trail that ends early from one that ended there;
    the seals of the deleted entries can (a reviewer deleted the last three)."""
    _as_a_writer(folder, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE seq >= 2")
    done = berjasa("audit", "verify", "--json", data_dir=folder)
    answer = json.loads(done.stdout)
    assert done.returncode != 0 and answer["intact"] is False
    assert answer["broken"]["seq"] == 2 and "its seal remains" in answer["broken"]["problem"]
