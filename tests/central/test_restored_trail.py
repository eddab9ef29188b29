"""Central restored from a backup never gives a trail seq out twice (docs/audit-chain.md
"Central restored from a backup"): the entries written after the backup are lost with
the restore, and auditors may have exported them, so the next entry takes the seq after
the last one central's trail ever handed out (witnessed in central's data folder, which
a restore of the database does not touch) and declares the gap, as a kelurahan's
``site.restore`` does. ``central audit verify`` accepts that declared gap and names it;
any other gap is still a missing entry. Both backends: SQLite's file copied back, or a
``pg_dump``/``pg_restore`` of the PostgreSQL schema."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

from berjasa.audit import Actor, entry_hash, next_entry, verify_entries
from central import trail
from central.storage.db import Database
from tests.central_databases import OfficeBackups
from tests.helpers import berjasa

OFFICER = Actor("operator-1", "operator", "10.20.0.7")


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path: Path, migrated_databases):
    """(central's data folder, its database URL, the office's backups) on each backend."""
    url = migrated_databases(request.param)
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", url, data_dir=folder, check=True)
    return folder, url, OfficeBackups(request.param, url, tmp_path / "backups")


def _write(folder: Path, url: str, count: int) -> None:
    with closing(Database(url, data_dir=folder)) as db:
        for n in range(count):
            trail.record(db, OFFICER, "download.payment-list", "payment-list", {"rows": [None, n]})


def _entries(folder: Path, url: str) -> list[dict]:
    with closing(Database(url, data_dir=folder)) as db:
        return db.query("SELECT seq, action, actor, entry_hash, changes FROM audit_log ORDER BY seq")


def _verify(folder: Path) -> dict:
    done = berjasa("central", "audit", "verify", "--json", data_dir=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_entries_after_a_restore_never_take_a_number_the_lost_entries_had(office):
    folder, url, backups = office
    _write(folder, url, 3)
    backups.back_up()  # the office's nightly backup
    in_backup = _entries(folder, url)[-1]["seq"]
    _write(folder, url, 2)  # the next day's work: an auditor may have exported it
    lost = {e["seq"]: e["entry_hash"] for e in _entries(folder, url) if e["seq"] > in_backup}
    backups.restore()  # the disk died; central stopped, the database put back

    done = berjasa("central", "restored", "--reason", "cadangan harian, disk rusak", "--by",
                   "Andi", data_dir=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    _write(folder, url, 2)

    after = [e for e in _entries(folder, url) if e["seq"] > in_backup]
    assert not {e["seq"] for e in after} & set(lost), (sorted(lost), after)
    [restore] = [e for e in after if e["action"] == "central.restored"]
    assert restore["seq"] == max(lost) + 1 and restore["actor"] == "cli:Andi"
    said = {k: v[1] if isinstance(v, list) else v for k, v in json.loads(restore["changes"]).items()}
    assert said["restored_last_seq"] == in_backup and said["previous_last_seq"] == max(lost)
    assert said["previous_last_hash"] == lost[max(lost)]

    verdict = _verify(folder)
    assert verdict["intact"] and [r["lost"] for r in verdict["restores"]] == [
        [in_backup + 1, max(lost)]]
    said = berjasa("central", "audit", "verify", data_dir=folder).stdout.strip().splitlines()
    assert said[0].startswith(f"Catatan: seq={max(lost) + 1} (") and "cli:Andi" in said[0]
    assert f"seq={in_backup + 1}..{max(lost)}" in said[0]
    assert said[-1].startswith("Jejak audit pusat utuh:")


@pytest.mark.slow
def test_an_entry_written_before_the_restore_is_recorded_declares_the_gap_itself(office):
    """A restore of an older release's backup needs ``central migrate`` first, and a
    central started before ``central restored`` writes logins: whatever writes first
    after the restore takes the seq after the lost ones, by a declared gap."""
    folder, url, backups = office
    _write(folder, url, 2)
    backups.back_up()
    _write(folder, url, 3)
    last_before = _entries(folder, url)[-1]["seq"]
    backups.restore()

    _write(folder, url, 1)  # a login, an export: before anyone recorded the restore
    berjasa("central", "restored", "--reason", "pg_dump kemarin", data_dir=folder, check=True)
    after = _entries(folder, url)
    gap, written = after[-3], after[-2]
    assert (gap["seq"], gap["action"], gap["actor"]) == (last_before + 1, "central.restored",
                                                        "system")
    assert written["seq"] == last_before + 2 and written["action"] == "download.payment-list"
    assert after[-1]["action"] == "central.restored" and after[-1]["seq"] == last_before + 3
    verdict = _verify(folder)
    assert verdict["intact"] and [r["lost"] for r in verdict["restores"]] == [
        [3, last_before], None]


def test_a_database_that_was_not_restored_declares_nothing(office):
    """``central restored`` on a trail that did not go back (recorded twice, or the
    data folder is new) takes the next seq: there is no gap to declare."""
    folder, url, _ = office
    _write(folder, url, 2)
    berjasa("central", "restored", "--reason", "uji pemulihan", data_dir=folder, check=True)
    berjasa("central", "restored", "--reason", "uji pemulihan", data_dir=folder, check=True)
    seqs = [e["seq"] for e in _entries(folder, url)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert _verify(folder)["intact"]


def test_a_gap_no_restore_declares_is_still_a_missing_entry(office):
    """Entries deleted from the middle (the guards dropped) leave a gap that no restore
    entry declares: still ``missing entry``, as a ``central.restored`` entry that
    declares other numbers than the ones it skips."""
    folder, url, _ = office
    _write(folder, url, 5)
    with closing(Database(url, data_dir=folder)) as db:
        if db.dialect == "sqlite":
            db.run("DROP TRIGGER audit_log_no_delete")
            db.run("DROP TRIGGER audit_seals_no_delete")
        else:
            db.run("ALTER TABLE audit_log DISABLE TRIGGER USER")
            db.run("ALTER TABLE audit_seals DISABLE TRIGGER USER")
        db.run("DELETE FROM audit_seals WHERE seq = 3")
        db.run("DELETE FROM audit_log WHERE seq = 3")
    done = berjasa("central", "audit", "verify", "--json", data_dir=folder)
    assert done.returncode == 1 and json.loads(done.stdout)["broken"] == {
        "seq": 3, "problem": "missing entry (deleted?)"}

    first = next_entry(None, "2026-11-01T00:00:00+00:00", OFFICER, "login")
    declared = next_entry(first, "2026-11-01T00:00:01+00:00", OFFICER, "central.restored", None, {
        "restored_last_seq": [None, 1], "previous_last_seq": [None, 6]})
    for seq, intact in ((7, True), (6, False), (9, False)):
        moved = {**declared, "seq": seq}
        moved["entry_hash"] = entry_hash(moved)
        assert (verify_entries([first, moved])[1] is None) is intact, seq
