"""cli: `berjasa backup` and `berjasa restore` in the audit trail, and the trail's
continuity across a restore (h2's report, item 5; docs/audit-chain.md "Backups,
restores and continuity").

A backup is a `site.backup` entry (who, the file, its SHA-256). A restore writes
`site.restore` into the restored trail: who, from which backup and when it was made,
and what the replaced trail had reached; the next entries follow the replaced
trail's last seq, so no number is given out twice, and `audit verify` (CLI and API)
reports the restore as a break in continuity naming the seqs this trail lacks. A
restored database older than the program gets its entry with `berjasa migrate`."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from berjasa.audit import Actor as AuditActor
from berjasa.audit import declared_gap, entry_hash, next_entry, verify_entries
from berjasa.database import connect
from berjasa.settings import load_settings
from server import intake
from server.storage.audit import Actor
from tests.helpers import PASSPHRASE, berjasa


def rows(folder, sql, params=()):
    conn = sqlite3.connect(folder / "kelurahan.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def values(entry):
    return {k: v[1] for k, v in json.loads(entry["changes"]).items()}


def record(folder, records, count=1):
    conn = connect(folder / "kelurahan.db")
    try:
        for _ in range(count):
            intake.create_enrollment(conn, records.enrollment(), Actor("enumerator", "enumerator"),
                                     load_settings(folder))
    finally:
        conn.close()


def last_seq(folder):
    return rows(folder, "SELECT max(seq) AS seq FROM audit_log")[0]["seq"]


def test_a_backup_is_in_the_trail_with_its_file_and_hash(data_dir, records, tmp_path):
    record(data_dir, records)
    before = last_seq(data_dir)
    target = tmp_path / "cadangan.bjb"
    done = berjasa("backup", str(target), "--passphrase-stdin", "--by", "Rina", "--json",
                   "--data-dir", str(data_dir), stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert json.loads(done.stdout)["sha256"] == digest
    [entry] = rows(data_dir, "SELECT * FROM audit_log WHERE action = 'site.backup'")
    assert (entry["actor"], entry["role"], entry["seq"]) == ("cli:Rina", "admin", before + 1)
    said = values(entry)
    assert said["file"] == str(target) and said["sha256"] == digest
    assert said["bytes"] == target.stat().st_size and said["last_seq"] == before


def test_a_restore_is_a_declared_break_and_no_seq_is_given_out_twice(
        data_dir, records, tmp_path, api):
    record(data_dir, records, 2)
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(data_dir),
            stdin=PASSPHRASE + "\n", check=True)
    in_backup = last_seq(data_dir) - 1  # the backup's own entry came after its copy
    record(data_dir, records, 3)  # work after the backup: lost by the restore
    old_last = last_seq(data_dir)
    old_hash = rows(data_dir, "SELECT entry_hash FROM audit_log WHERE seq = ?", (old_last,))[0]

    done = berjasa("restore", str(target), "--passphrase-stdin", "--force", "--by", "Andi",
                   "--data-dir", str(data_dir), stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    [entry] = rows(data_dir, "SELECT * FROM audit_log WHERE action = 'site.restore'")
    assert entry["seq"] == old_last + 1 and entry["actor"] == "cli:Andi"
    said = values(entry)
    assert said["restored_last_seq"] == in_backup and said["previous_last_seq"] == old_last
    assert said["previous_last_hash"] == old_hash["entry_hash"]
    assert said["backup"] == str(target)
    assert said["backup_sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert said["previous_trail"].startswith("kelurahan.db.before-restore-")
    assert (data_dir / said["previous_trail"]).exists()
    assert not (data_dir / "restore.pending.json").exists()

    # the next entry follows the replaced trail's numbers, never one of them again
    record(data_dir, records)
    assert last_seq(data_dir) == old_last + 2
    verify = berjasa("audit", "verify", "--data-dir", str(data_dir))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    note, verdict = verify.stdout.strip().splitlines()
    assert note.startswith(f"Catatan: seq={old_last + 1} (") and "cli:Andi" in note
    assert f"cadangan {target}" in note
    assert f"entri seq={in_backup + 1}..{old_last} jejak sebelumnya tidak ada" in note
    assert verdict.startswith("Jejak audit utuh:")
    as_json = json.loads(berjasa("audit", "verify", "--json", "--data-dir", str(data_dir)).stdout)
    assert as_json["intact"] and [r["lost"] for r in as_json["restores"]] == [
        [in_backup + 1, old_last]]
    api_verify = api("auditor").get("/api/v1/audit?verify=true&limit=1").json()["verification"]
    assert api_verify["intact"] and api_verify["restores"][0]["seq"] == old_last + 1


def test_a_gap_a_restore_does_not_declare_is_still_a_missing_entry():
    """The chain rule accepts only the exact gap a restore entry declares (and such an
    entry, like any, must carry the folder's seal: tests/cli/test_audit_seal.py)."""
    actor = AuditActor("x", "admin")
    first = next_entry(None, "2026-11-01T00:00:00+00:00", actor, "login")
    restore = next_entry(first, "2026-11-01T00:00:01+00:00", actor, "site.restore", None, {
        "restored_last_seq": [None, 1], "previous_last_seq": [None, 6]})
    jumped = {**restore, "seq": 7}
    jumped["entry_hash"] = entry_hash(jumped)
    assert declared_gap(jumped, 2) and verify_entries([first, jumped]) == (2, None)
    for wrong_seq in (6, 9):
        other = {**restore, "seq": wrong_seq}
        other["entry_hash"] = entry_hash(other)
        assert verify_entries([first, other])[1] == {"seq": 2, "problem": "missing entry (deleted?)"}
    login = {**next_entry(first, "2026-11-01T00:00:01+00:00", actor, "login"), "seq": 7}
    assert verify_entries([first, login])[1]["problem"] == "missing entry (deleted?)"


def test_an_older_backup_gets_its_restore_entry_with_migrate(data_dir, records, tmp_path):
    """A backup whose database predates the trail's seal and value tables: the
    restore leaves its facts pending, and `berjasa migrate` writes the entry before
    its own, still after the replaced trail's last seq."""
    from tests.cli.test_migrate import _old_laptop

    old = tmp_path / "lama"
    _old_laptop(old)
    target = tmp_path / "lama.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(old),
            stdin=PASSPHRASE + "\n", check=True)
    record(data_dir, records, 2)
    old_last = last_seq(data_dir)
    berjasa("restore", str(target), "--passphrase-stdin", "--force", "--data-dir",
            str(data_dir), stdin=PASSPHRASE + "\n", check=True)
    assert (data_dir / "restore.pending.json").exists()
    migrated = berjasa("migrate", "--data-dir", str(data_dir))
    assert migrated.returncode == 0, migrated.stderr
    assert not (data_dir / "restore.pending.json").exists()
    trail = rows(data_dir, "SELECT seq, action FROM audit_log ORDER BY seq")
    assert [e["action"] for e in trail[-2:]] == ["site.restore", "site.migrate"]
    assert trail[-2]["seq"] == old_last + 1
    verify = berjasa("audit", "verify", "--data-dir", str(data_dir))
    assert verify.returncode == 0, verify.stdout
    assert "Catatan:" in verify.stdout


def test_a_restore_into_an_empty_folder_says_there_was_no_trail_before(data_dir, tmp_path):
    new = tmp_path / "laptop-baru"
    for command, target, folder in (("backup", tmp_path / "cadangan.bjb", data_dir),
                                    ("restore", tmp_path / "cadangan.bjb", new)):
        berjasa(command, str(target), "--passphrase-stdin", "--data-dir", str(folder),
                stdin=PASSPHRASE + "\n", check=True)
    [entry] = rows(new, "SELECT * FROM audit_log WHERE action = 'site.restore'")
    assert values(entry)["previous_trail"] == "none" and values(entry)["previous_last_seq"] is None
    verify = berjasa("audit", "verify", "--data-dir", str(new))
    assert verify.returncode == 0 and "folder ini belum punya jejak sebelumnya" in verify.stdout
