"""cli: berjasa backup / restore / privacy export / privacy erase."""

from __future__ import annotations

import getpass
import json
import sqlite3

import pytest

from berjasa.database import connect
from berjasa.settings import load_settings
from server import intake
from server.storage.audit import Actor
from tests.api.test_enrollments_read_edit import TAMPERED, tamper_with_history
from tests.helpers import PASSPHRASE, berjasa


@pytest.fixture
def filled(data_dir, records):
    """The test data folder with three enrollments; returns (folder, records)."""
    conn = connect(data_dir / "kelurahan.db")
    settings = load_settings(data_dir)
    made = [records.enrollment() for _ in range(3)]
    for record in made:
        intake.create_enrollment(conn, record, Actor("enumerator", "enumerator"), settings)
    conn.close()
    return data_dir, made


def test_backup_holds_no_nik_in_clear_and_restores_exactly(filled, tmp_path):
    folder, made = filled
    target = tmp_path / "cadangan.bjb"
    answer = berjasa("backup", str(target), "--passphrase-stdin", "--json", "--data-dir",
                     str(folder), stdin=PASSPHRASE + "\n")
    assert answer.returncode == 0, answer.stderr
    raw = target.read_bytes()
    assert all(r["nik"].encode() not in raw and r["full_name"].encode() not in raw for r in made)
    restored = tmp_path / "pulih"
    answer = berjasa("restore", str(target), "--passphrase-stdin", "--data-dir", str(restored),
                     stdin=PASSPHRASE + "\n")
    assert answer.returncode == 0, answer.stderr
    conn = sqlite3.connect(restored / "kelurahan.db")
    assert {row[0] for row in conn.execute("SELECT nik FROM enrollments")} == {
        r["nik"] for r in made}
    conn.close()


def test_restore_with_wrong_passphrase_or_damaged_file_is_one_clear_line(filled, tmp_path):
    folder, _ = filled
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE + "\n")
    wrong = berjasa("restore", str(target), "--passphrase-stdin", "--data-dir",
                    str(tmp_path / "a"), stdin="frasa-yang-salah\n")
    assert wrong.returncode != 0 and "Frasa sandi salah" in wrong.stderr
    damaged = bytearray(target.read_bytes())
    damaged[-10] ^= 0x01
    target.write_bytes(bytes(damaged))
    broken = berjasa("restore", str(target), "--passphrase-stdin", "--data-dir",
                     str(tmp_path / "b"), stdin=PASSPHRASE + "\n")
    assert broken.returncode != 0 and "Traceback" not in broken.stderr
    assert not (tmp_path / "b" / "kelurahan.db").exists()


def test_restore_does_not_overwrite_without_force(filled, tmp_path):
    folder, _ = filled
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE + "\n")
    answer = berjasa("restore", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                     stdin=PASSPHRASE + "\n")
    assert answer.returncode != 0 and "--force" in answer.stderr


def test_a_forced_restore_never_pairs_the_backup_with_a_stale_wal(filled, tmp_path):
    """A restore that stopped half-way (on Windows a -wal another program held open
    could not be moved) left the old -wal beside the folder; a second restore wrote
    the backup's database next to it, and SQLite would replay it into the restored
    file. The old database is folded whole, and every part moves aside."""
    folder, made = filled
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE + "\n", check=True)
    extra = connect(folder / "kelurahan.db")  # a write after the backup, held in the -wal
    extra.execute("UPDATE enrollments SET notes = 'sesudah cadangan' WHERE id = ?", (made[0]["id"],))
    stale_wal = (folder / "kelurahan.db-wal").read_bytes()
    assert stale_wal
    (folder / "kelurahan.db").rename(folder / "kelurahan.db.lama")  # half a restore
    done = berjasa("restore", str(target), "--passphrase-stdin", "--force", "--data-dir",
                   str(folder), stdin=PASSPHRASE + "\n")
    extra.close()
    assert done.returncode == 0, done.stderr
    assert list(folder.glob("kelurahan.db.before-restore-*-wal"))  # the stale part, set aside
    conn = sqlite3.connect(folder / "kelurahan.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        notes = conn.execute("SELECT notes FROM enrollments WHERE id = ?", (made[0]["id"],)).fetchone()[0]
    finally:
        conn.close()
    assert notes != "sesudah cadangan"  # the backup's data, not the stale -wal's


def test_a_forced_restore_replaces_a_damaged_database(filled, tmp_path):
    """A damaged register is why an office restores: folding its WAL first had made
    `restore --force` stop with a traceback ("file is not a database")."""
    folder, made = filled
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE + "\n", check=True)
    for damage in (lambda b: b[:5000], lambda b: bytes(len(b))):
        database = folder / "kelurahan.db"
        database.write_bytes(damage(database.read_bytes()))
        done = berjasa("restore", str(target), "--passphrase-stdin", "--force", "--data-dir",
                       str(folder), stdin=PASSPHRASE + "\n")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        conn = sqlite3.connect(database)
        try:
            assert conn.execute("SELECT count(*) FROM enrollments").fetchone()[0] == len(made)
        finally:
            conn.close()


def test_privacy_export_then_erase(filled):
    folder, made = filled
    nik = made[0]["nik"]
    exported = berjasa("privacy", "export", nik, "--json", "--data-dir", str(folder))
    assert exported.returncode == 0, exported.stderr
    body = json.loads(exported.stdout)
    assert body["records"][0]["id"] == made[0]["id"]
    assert body["records"][0]["full_name"] == made[0]["full_name"]
    # the request's letter number and the officer, as for an erasure (optional here:
    # design.md fixes `privacy export NIK [--json]`)
    with_reason = berjasa("privacy", "export", nik, "--reason", "Surat 9/XI/2026", "--by",
                          "Rina", "--json", "--data-dir", str(folder))
    assert with_reason.returncode == 0, with_reason.stderr
    conn = sqlite3.connect(folder / "kelurahan.db")
    exports = conn.execute("SELECT actor, reason FROM audit_log WHERE action = 'privacy.export'"
                           " ORDER BY seq").fetchall()
    conn.close()
    assert exports == [(f"cli:{getpass.getuser()}", None), ("cli:Rina", "Surat 9/XI/2026")]
    erased = berjasa("privacy", "erase", nik, "--reason", "Permohonan 1/XI/2026", "--json",
                     "--data-dir", str(folder))
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"] == [made[0]["id"]]
    conn = sqlite3.connect(folder / "kelurahan.db")
    row = conn.execute("SELECT nik, full_name, address, status FROM enrollments WHERE id = ?",
                       (made[0]["id"],)).fetchone()
    audit = conn.execute("SELECT group_concat(changes) FROM audit_log").fetchone()[0]
    who = conn.execute("SELECT actor, role, reason FROM audit_log WHERE action = 'privacy.erase'"
                       " ORDER BY seq").fetchall()
    conn.close()
    assert row is None
    assert nik not in audit
    # by whom: the operating system's user (or --by), never an anonymous "cli"
    assert [(a, r) for a, r, _ in who] == [(f"cli:{getpass.getuser()}", "admin")]
    second = made[1]["nik"]
    by = berjasa("privacy", "erase", second, "--reason", "Permohonan 2/XI/2026", "--by",
                 "Andi  Operator", "--data-dir", str(folder))
    assert by.returncode == 0, by.stderr
    conn = sqlite3.connect(folder / "kelurahan.db")
    last = conn.execute("SELECT actor, role FROM audit_log WHERE action = 'privacy.erase'"
                        " ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    # a command, never a signed-in user of that name (central records --by the same way):
    # a supervisor naming themself is not the user "supervisor" acting as an admin
    assert last == ("cli:Andi Operator", "admin")
    assert berjasa("privacy", "erase", made[2]["nik"], "--reason", "Permohonan 3/XI/2026", "--by",
                   "supervisor", "--data-dir", str(folder)).returncode == 0
    conn = sqlite3.connect(folder / "kelurahan.db")
    last = conn.execute("SELECT actor FROM audit_log WHERE action = 'privacy.erase'"
                        " ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    assert last == ("cli:supervisor",)
    again = berjasa("privacy", "export", nik, "--data-dir", str(folder))
    assert again.returncode != 0 and "Data NIK ini sudah dihapus (" in again.stderr  # as erase says
    verify = berjasa("audit", "verify", "--data-dir", str(folder))
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("args", [["privacy", "export", "12345"],
                                  ["privacy", "export", "7371014101900001", "--reason",
                                   "x" * 501],
                                  ["privacy", "erase", "7371014101900001", "--reason", " "],
                                  ["privacy", "erase", "7371014101900001", "--reason",
                                   "Surat \u202e12/XI"]])
def test_privacy_bad_input_is_one_clear_line(data_dir, args):
    answer = berjasa(*args, "--data-dir", str(data_dir))
    assert answer.returncode != 0 and "Traceback" not in answer.stderr
    assert answer.stderr.startswith("Galat:") and len(answer.stderr.strip().splitlines()) == 1
    if "\u202e" in args[-1]:  # the invisible character named by its code (docs/api.md)
        assert "U+202E (pengatur arah teks)" in answer.stderr


def test_a_restored_folder_still_reports_a_seal_deleted_after_the_backup(filled, tmp_path):
    """The backup carries the marker that the trail was sealed: without it, a
    restored folder sealed again whatever entry had lost its seal, hiding the
    deletion instead of reporting it."""
    folder, _ = filled
    assert (folder / "audit.sealed").exists()
    target = tmp_path / "cadangan.bjb"
    assert berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                   stdin=PASSPHRASE + "\n").returncode == 0
    restored = tmp_path / "pulih"
    assert berjasa("restore", str(target), "--passphrase-stdin", "--data-dir", str(restored),
                   stdin=PASSPHRASE + "\n").returncode == 0
    assert (restored / "audit.sealed").read_bytes() == (folder / "audit.sealed").read_bytes()
    conn = sqlite3.connect(restored / "kelurahan.db")
    conn.execute("DROP TRIGGER audit_seals_no_delete")
    conn.execute("DELETE FROM audit_seals WHERE seq = 1")
    conn.commit()
    conn.close()
    verified = berjasa("audit", "verify", "--data-dir", str(restored))
    assert verified.returncode != 0 and "segel hilang" in (verified.stdout + verified.stderr)


def test_audit_export_gives_the_auditor_the_values_still_held(filled, tmp_path):
    """The chained columns hold keyed tags (they outlive an erasure); with
    --with-values the CSV gives beside them the values still kept, so an auditor reads
    what changed, and nothing of a person once erased."""
    import csv
    import io

    from server import review
    folder, made = filled
    settings = load_settings(folder)
    conn = connect(folder / "kelurahan.db")
    edited = intake.edit_enrollment(conn, made[0]["id"], {"address": "Jl. Nusantara No. 9"}, 1,
                                    Actor("enumerator", "enumerator"), settings)
    review.review_enrollment(conn, made[1]["id"], "needs_fix", "RT tidak cocok dengan KK",
                             Actor("supervisor", "supervisor"), settings, "73.71.01.1001")
    conn.close()
    assert edited["address"] == "Jl. Nusantara No. 9"

    def exported(*values: str) -> list[dict]:
        out = tmp_path / "audit.csv"
        done = berjasa("audit", "export", "--since", "2000-01-01", "--output", str(out),
                       *values, "--data-dir", str(folder))
        assert done.returncode == 0, done.stderr
        return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))

    assert "held_values" not in exported()[0]  # by default the file holds tags only
    rows = exported("--with-values")
    [edit] = [r for r in rows if r["action"] == "enrollment.edit"]
    assert json.loads(edit["held_values"])["address"] == [made[0]["address"], "Jl. Nusantara No. 9"]
    assert "Nusantara" not in edit["changes"] and '"h1:' in edit["changes"]  # the chain: tags
    [decision] = [r for r in rows if r["record_id"] == made[1]["id"] and r["held_reason"]]
    assert decision["held_reason"] == "RT tidak cocok dengan KK"
    assert decision["reason"].startswith("h1:")
    berjasa("privacy", "erase", made[0]["nik"], "--reason", "Surat 5/XI", "--data-dir",
            str(folder), check=True)
    after = {r["seq"]: r for r in exported("--with-values")}
    assert after[edit["seq"]]["held_values"] == "" and after[edit["seq"]]["changes"] == edit["changes"]
    assert "Nusantara" not in json.dumps(list(after.values()))


def test_privacy_export_flags_history_lines_the_sealed_trail_does_not_stand_for(
        api, records, data_dir):
    """A person's copy shows each line of a record's history as the API does
    (``GET /api/v1/enrollments/<id>``): ``verified`` and ``mismatch`` (names of the parts
    its trail entry does not stand for). A line changed or added in SQLite by hand is
    never handed out as if the sealed trail backed it."""
    enumerator = api("enumerator")
    made = enumerator.post("/api/v1/enrollments", json=records.enrollment(rt="001")).json()
    url = f"/api/v1/enrollments/{made['id']}"
    assert enumerator.patch(url, json={"rt": "7"}, headers={"If-Match": "1"}).status_code == 200
    assert api("supervisor").post(f"{url}/review", json={"decision": "approve"}).status_code == 200
    tamper_with_history(data_dir, made["id"])
    shown = api("supervisor").get(url).json()["history"]
    exported = berjasa("privacy", "export", made["nik"], "--json", data_dir=data_dir, check=True)
    history = json.loads(exported.stdout)["records"][0]["history"]
    assert [(line["action"], line["verified"], line["mismatch"]) for line in history] == TAMPERED
    assert history == shown  # the same lines, from the same check
