"""``berjasa central user ...`` and ``berjasa central audit verify`` as
subprocesses, and the trail written by imports, exports and device changes
(both backends)."""

from __future__ import annotations

import json
import sqlite3

import psycopg

from central.storage.db import Database
from tests.helpers import berjasa as run_berjasa


def berjasa(*args, data_dir, check=True, input=None):
    """Run the berjasa command with this data folder; stdin from ``input``."""
    return run_berjasa(*args, stdin=input, env={"BERJASA_DATA_DIR": str(data_dir)},
                       check=check)


def _init(database_url, tmp_path):
    data = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=data)
    return data


def _run_sql(database_url: str, *statements: str) -> None:
    db = Database(database_url)
    try:
        for statement in statements:
            db.conn.execute(statement)
    finally:
        db.close()


def _trail(database_url: str) -> list[dict]:
    db = Database(database_url)
    try:
        return db.query("SELECT * FROM audit_log ORDER BY seq")
    finally:
        db.close()


def test_user_add_disable_reset_password(database_url, tmp_path):
    data = _init(database_url, tmp_path)
    done = berjasa("central", "user", "add", "rina", "--role", "operator", "--password-stdin",
                   "--json", data_dir=data, input="sandi-kantor-pusat-1\n")
    assert json.loads(done.stdout)["role"] == "operator"
    again = berjasa("central", "user", "add", "rina", "--role", "auditor", "--password-stdin",
                    data_dir=data, input="sandi-kantor-pusat-1\n", check=False)
    assert again.returncode != 0 and "sudah dipakai" in again.stderr
    assert "Traceback" not in again.stderr
    weak = berjasa("central", "user", "add", "budi", "--role", "admin", "--password-stdin",
                   data_dir=data, input="pendek\n", check=False)
    assert weak.returncode != 0 and "minimal 8" in weak.stderr
    wrong_role = berjasa("central", "user", "add", "budi", "--role", "supervisor",
                         "--password-stdin", data_dir=data, input="sandi-kantor-pusat-1\n", check=False)
    assert wrong_role.returncode != 0 and "Traceback" not in wrong_role.stderr
    berjasa("central", "user", "reset-password", "rina", "--password-stdin", data_dir=data,
            input="sandi-baru-kantor-2\n")
    berjasa("central", "user", "disable", "rina", data_dir=data)
    missing = berjasa("central", "user", "disable", "siapa", data_dir=data, check=False)
    assert missing.returncode != 0 and "tidak ada" in missing.stderr
    actions = [e["action"] for e in _trail(database_url)]
    assert actions == ["schema.migrate", "user.create", "user.reset_password", "user.disable"]
    stored = Database(database_url)
    try:
        user = stored.one("SELECT * FROM users WHERE username = 'rina'")
    finally:
        stored.close()
    assert user["active"] == 0 and user["password_hash"].startswith("$argon2id$")
    assert "sandi-baru" not in repr(_trail(database_url))
    listed = json.loads(berjasa("central", "user", "list", "--json", data_dir=data).stdout)
    assert listed == [{"username": "rina", "role": "operator", "active": False}]
    berjasa("central", "user", "enable", "rina", data_dir=data)  # back after a leave
    assert "rina                     operator     aktif" in berjasa(
        "central", "user", "list", data_dir=data).stdout
    assert _trail(database_url)[-1]["action"] == "user.enable"


def test_audit_verify_names_a_hand_edited_row(database_url, tmp_path):
    data = _init(database_url, tmp_path)
    for name in ("a1", "a2", "a3"):
        berjasa("central", "user", "add", name, "--role", "auditor", "--password-stdin",
                data_dir=data, input="kata-sandi-uji\n")
    berjasa("central", "device", "add", "--kelurahan", "73.71.01.1001", data_dir=data)
    ok = berjasa("central", "audit", "verify", "--json", data_dir=data)
    assert json.loads(ok.stdout) == {"intact": True, "checked": 5}  # init: schema.migrate
    # the trigger refuses the edit ...
    try:
        _run_sql(database_url, "UPDATE audit_log SET actor = 'orang lain' WHERE seq = 2")
        refused = False
    except (psycopg.Error, sqlite3.Error) as exc:  # psycopg.errors.RaiseException / sqlite3.IntegrityError
        refused = "append-only" in str(exc)
    assert refused
    # ... so the forger drops it first
    if database_url.startswith("sqlite"):
        _run_sql(database_url, "DROP TRIGGER audit_log_no_update",
                 "UPDATE audit_log SET actor = 'orang lain' WHERE seq = 2")
    else:
        _run_sql(database_url, "DROP TRIGGER audit_log_no_update_delete ON audit_log",
                 "UPDATE audit_log SET actor = 'orang lain' WHERE seq = 2")
    broken = berjasa("central", "audit", "verify", data_dir=data, check=False)
    assert broken.returncode == 1
    assert "seq=2" in broken.stdout and "Traceback" not in broken.stderr
    assert "isinya diubah setelah ditulis" in broken.stdout  # said in Bahasa Indonesia
    assert "content changed" not in broken.stdout
    as_json = json.loads(berjasa("central", "audit", "verify", "--json", data_dir=data,
                                 check=False).stdout)
    assert as_json["broken"]["seq"] == 2 and as_json["checked"] == 1


def test_imports_exports_and_devices_are_in_the_trail(database_url, tmp_path):
    data = _init(database_url, tmp_path)
    dtsen = tmp_path / "dtsen.csv"
    dtsen.write_text("NIK,Desil\n7371014101900001,2\n", encoding="utf-8")
    berjasa("central", "import", "dtsen", str(dtsen), data_dir=data)
    berjasa("central", "device", "add", "--kelurahan", "73.71.01.1001", data_dir=data)
    out = tmp_path / "semua.csv"
    berjasa("central", "export", "--what", "all", "--output", str(out), data_dir=data)
    berjasa("central", "export", "--what", "progress", data_dir=data)
    trail = _trail(database_url)
    assert [e["action"] for e in trail] == ["schema.migrate", "import.dtsen", "device.code",
                                            "export.all", "export.progress"]
    assert all(e["actor"].startswith("cli:") for e in trail)
    details = json.loads(trail[3]["changes"])
    import hashlib
    assert details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert details["rows"] == 0 and details["output"] == str(out)
    assert details["filters"]["format"] == "csv"
    assert berjasa("central", "audit", "verify", data_dir=data).returncode == 0


def test_verifier_decisions_are_in_the_trail_without_the_reason_text(central):
    from central import verification

    from .conftest import records as make_records

    sent = make_records(2)
    central.register().send(sent)
    db = central.db()
    try:
        verification.send_back(db, sent[0]["nik"], "Nama Andi Daeng beda dengan KTP", "vera")
    finally:
        db.close()
    entries = [e for e in central.query("SELECT actor, role, action, record_id, changes"
                                        " FROM audit_log ORDER BY seq")
               if e["action"].startswith("decision.")]
    assert [(e["actor"], e["role"], e["action"]) for e in entries] == [
        ("vera", "verifier", "decision.send_back")]
    assert entries[0]["record_id"].endswith(sent[0]["id"])
    assert "Andi Daeng" not in repr(entries)


def _since(database_url: str, seq: int) -> list[dict]:
    return [e for e in _trail(database_url) if e["seq"] > seq]


def test_every_command_that_changes_state_or_hands_data_out_is_in_the_trail(
        database_url, tmp_path):
    """The tester's AUDIT report: recheck (changes statuses, sends updates), key
    rotate and rotate --finish, verify, findings and duplicates (names leave
    central) each write one entry, actor cli:<OS user>, counts only (no NIK, no
    name); init and migrate name the migrations they applied. (export-answers and
    import-batches: tests/sync/test_usb_sync.py.)"""
    data = _init(database_url, tmp_path)
    first = _trail(database_url)
    assert [e["action"] for e in first] == ["schema.migrate"]
    assert json.loads(first[0]["changes"])["applied"]
    assert json.loads(berjasa("central", "migrate", "--json", data_dir=data).stdout)["applied"] == []
    seq = first[-1]["seq"]  # nothing applied: no entry

    nik = "7371014101900001"
    bpjs = tmp_path / "bpjs.csv"
    bpjs.write_text(f"nik,kpj_number,program,status\n{nik},25012345678,JKK,Aktif\n",
                    encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(bpjs), data_dir=data)
    summary = json.loads(berjasa("central", "recheck", "--json", data_dir=data).stdout)
    berjasa("central", "key", "rotate", data_dir=data)
    berjasa("central", "key", "rotate", "--finish", data_dir=data)
    berjasa("central", "verify", data_dir=data)
    berjasa("central", "findings", data_dir=data)
    berjasa("central", "duplicates", "--all", data_dir=data)
    entries = _since(database_url, seq)
    assert [e["action"] for e in entries] == [
        "import.bpjs-participants", "recheck", "key.rotate", "key.rotate_finish", "verify.run",
        "view.findings", "view.duplicates"]
    assert all(e["actor"].startswith("cli:") and e["role"] == "cli" for e in entries)
    recheck = json.loads(entries[1]["changes"])
    assert recheck == summary
    rotated = json.loads(entries[2]["changes"])
    assert rotated["next_key"] is True and rotated["central_key_id"]
    assert json.loads(entries[3]["changes"])["next_key"] is False
    assert json.loads(entries[5]["changes"])["total"] == 0
    assert nik not in repr(entries[1:])
    assert berjasa("central", "audit", "verify", data_dir=data).returncode == 0
