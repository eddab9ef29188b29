"""Sync by USB stick: `sync export` -> `central import-batches` -> `central
export-answers` -> `sync import-answers`, against a real central on both backends.
Importing either file twice changes nothing, and mixing it with online sync loses
and doubles nothing."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from berjasa.database import connect
from berjasa.settings import write_setting
from sync.agent import run_once
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.15.1001"


@pytest.fixture
def central(central):
    """The running central of tests/sync/conftest.py (each backend), with its database
    in its settings.toml, where the `central import-batches` and `export-answers`
    commands read it."""
    write_setting(central.data_dir, "central_database_url", central.database_url)
    return central


@pytest.fixture
def island(tmp_path, central):
    """An island kelurahan's laptop, registered at central while a link existed."""
    folder = h.make_kelurahan(tmp_path / "pulau", A)
    central.register(folder)
    return folder


def ok_json(answer: subprocess.CompletedProcess) -> dict:
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout.strip().splitlines()[-1])


def carry_batches(laptop: Path, central, stick: Path) -> Path:
    """The laptop's pending batches to central on a stick (its folder, made here)."""
    stick.mkdir(exist_ok=True)
    ok_json(berjasa("sync", "export", "--to", str(stick / "batch.bjs"), "--json",
                    "--data-dir", str(laptop)))
    ok_json(berjasa("central", "import-batches", str(stick / "batch.bjs"), "--json",
                    "--data-dir", str(central.data_dir)))
    return stick


def test_a_round_trip_by_stick_and_each_file_imported_twice(central, island, tmp_path):
    approved = h.seed_approved(island, 12, seed=21)
    stick = tmp_path / "flashdisk"
    stick.mkdir()
    out = ok_json(berjasa("sync", "export", "--to", str(stick / "batch.bjs"), "--json",
                          "--data-dir", str(island)))
    assert out["records"] == 12 and out["batches"] >= 1
    raw = (stick / "batch.bjs").read_bytes()
    nik = h.kelurahan_rows(island, "SELECT nik FROM enrollments LIMIT 1")[0]["nik"]
    assert nik.encode() not in raw  # sealed: nothing readable on a lost stick

    first = ok_json(berjasa("central", "import-batches", str(stick / "batch.bjs"), "--json",
                            "--data-dir", str(central.data_dir)))
    assert (first["new"], first["replayed"], first["records"]) == (out["batches"], 0, 12)
    again = ok_json(berjasa("central", "import-batches", str(stick / "batch.bjs"), "--json",
                            "--data-dir", str(central.data_dir)))
    assert (again["new"], again["replayed"]) == (0, out["batches"])
    assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in approved}

    answers = ok_json(berjasa("central", "export-answers", "--kelurahan", A, "--to",
                              str(stick / "jawaban.bja"), "--json",
                              "--data-dir", str(central.data_dir)))
    assert answers["answers"] == out["batches"]
    # both stick commands are in central's trail: counts and the file's hash, no person
    import hashlib
    trail = central.query("SELECT actor, role, action, record_id, changes FROM audit_log"
                          " WHERE action IN ('import.batches', 'export.answers') ORDER BY seq")
    assert [e["action"] for e in trail] == ["import.batches", "import.batches", "export.answers"]
    assert all(e["actor"].startswith("cli:") and e["role"] == "cli"
               and e["record_id"] == f"kelurahan:{A}" for e in trail)
    assert [json.loads(e["changes"])["new"] for e in trail[:2]] == [out["batches"], 0]
    exported = json.loads(trail[2]["changes"])
    assert exported["sha256"] == hashlib.sha256((stick / "jawaban.bja").read_bytes()).hexdigest()
    assert exported["answers"] == out["batches"] and nik not in repr(trail)
    # and each batch the stick delivered, by its device, once (importing again changes nothing)
    received = [json.loads(e["changes"]) for e in central.query(
        "SELECT changes FROM audit_log WHERE action = 'batch.receive' ORDER BY seq")]
    assert len(received) == out["batches"] and {e["via"] for e in received} == {"usb"}
    assert sum(e["records"] for e in received) == 12 and nik not in repr(received)
    applied = ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                              "--data-dir", str(island)))
    assert applied["records_answered"] == 12
    assert set(h.statuses(island).values()) == {"synced"}
    twice = ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                            "--by", "Rina", "--data-dir", str(island)))
    assert twice == {"batches_answered": 0, "records_answered": 0, "updates_applied": 0,
                     "erasures_confirmed": 0, "hint_records": 0, "central_only": 0}
    # the laptop's trail: the stick file left with every approved record, and central's
    # answers came back, each with who, the file and its SHA-256 (h2 report item 5)
    stick_trail = h.kelurahan_rows(island, "SELECT actor, role, action, changes FROM audit_log"
                                           " WHERE action LIKE 'sync.usb_%' ORDER BY seq")
    assert [e["action"] for e in stick_trail] == [
        "sync.usb_export", "sync.usb_import", "sync.usb_import"]
    assert stick_trail[0]["actor"].startswith("cli:") and stick_trail[0]["role"] == "admin"
    assert stick_trail[2]["actor"] == "cli:Rina"
    sent = {k: v[1] for k, v in json.loads(stick_trail[0]["changes"]).items()}
    assert sent["file"] == str(stick / "batch.bjs") and sent["records"] == 12
    assert sent["sha256"] == hashlib.sha256(raw).hexdigest() and sent["batches"] == out["batches"]
    came = {k: v[1] for k, v in json.loads(stick_trail[1]["changes"]).items()}
    assert came["sha256"] == hashlib.sha256((stick / "jawaban.bja").read_bytes()).hexdigest()
    assert came["records_answered"] == 12 and came["file"] == str(stick / "jawaban.bja")
    assert nik not in repr(stick_trail)
    # the stick emptied the outbox: the next online run has nothing to send
    online = run_once(island, h.agent_settings(island), "test")
    assert online.ok and online.records_sent == 0


def test_mixing_stick_and_online_sync_loses_and_doubles_nothing(central, island, tmp_path):
    from berjasa.database import connect
    from berjasa.settings import load_settings
    from central.storage.db import Database
    from central.usb import export_answers, import_batches
    from sync.usb import export_batches, import_answers

    first = h.seed_approved(island, 10, seed=31)
    conn = connect(island / "kelurahan.db")
    try:
        stick_1, _ = export_batches(conn, island, 4)  # three batches stored, none answered
    finally:
        conn.close()
    # the link came back for a moment: the agent resends the SAME stored batches
    online = run_once(island, h.agent_settings(island), "test")
    assert online.ok and online.records_sent == 10
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        late = import_batches(db, central.data_dir, stick_1, load_settings(central.data_dir))
        assert (late.new, late.replayed, late.refused) == (0, late.batches, [])
        second = h.seed_approved(island, 5, seed=32, start=10)
        conn = connect(island / "kelurahan.db")
        try:
            stick_2, summary = export_batches(conn, island, 500)
            assert summary["records"] == 5  # only what is still unanswered
            came = import_batches(db, central.data_dir, stick_2, load_settings(central.data_dir))
            assert came.new == 1 and came.records == 5
            back, _ = export_answers(db, central.data_dir, A, load_settings(central.data_dir))
            applied = import_answers(conn, island, back)
            assert applied["records_answered"] == 5  # the first ten were answered online
        finally:
            conn.close()
    finally:
        db.close()
    held = h.held_at_central(central, A)
    assert held == {rid: ["accepted"] for rid in [*first, *second]}
    assert set(h.statuses(island).values()) == {"synced"}


def test_a_damaged_or_foreign_file_is_one_clear_line_and_changes_nothing(central, island,
                                                                        tmp_path):
    h.seed_approved(island, 3, seed=41)
    target = tmp_path / "batch.bjs"
    ok_json(berjasa("sync", "export", "--to", str(target), "--json", "--data-dir", str(island)))
    data = bytearray(target.read_bytes())
    data[-20] ^= 0x01
    damaged = tmp_path / "rusak.bjs"
    damaged.write_bytes(bytes(data))
    refused = berjasa("central", "import-batches", str(damaged), "--data-dir", str(central.data_dir))
    assert refused.returncode != 0 and "autentikasi gagal" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert h.held_at_central(central, A) == {}
    # a batches file is not an answers file, and a random file is neither
    wrong_kind = berjasa("sync", "import-answers", str(target), "--data-dir", str(island))
    assert wrong_kind.returncode != 0 and "bukan jawaban pusat" in wrong_kind.stderr
    # in the operator's words, with where the file goes (no 'batches'/'answers')
    assert "berkas ini berisi batch dari laptop kelurahan" in wrong_kind.stderr
    assert "berjasa central import-batches" in wrong_kind.stderr
    assert "'batches'" not in wrong_kind.stderr and "'answers'" not in wrong_kind.stderr
    junk = tmp_path / "foto.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    for args in (("central", "import-batches", str(junk), "--data-dir", str(central.data_dir)),
                 ("sync", "import-answers", str(junk), "--data-dir", str(island))):
        answer = berjasa(*args)
        assert answer.returncode != 0 and "bukan berkas sinkronisasi USB" in answer.stderr
        assert "Traceback" not in answer.stderr


def test_an_erasure_travels_by_stick_whichever_file_arrives_first(central, island, tmp_path):
    """An island laptop never online: the erasure reaches central on the stick, and a
    stick made before the erasure never leaves the person active there."""
    approved = h.seed_approved(island, 4, seed=51)
    before = tmp_path / "sebelum.bjs"
    ok_json(berjasa("sync", "export", "--to", str(before), "--json", "--data-dir", str(island)))
    nik = h.kelurahan_rows(island, "SELECT nik FROM enrollments WHERE id = ?", (approved[0],))[0]["nik"]
    erased = berjasa("privacy", "erase", nik, "--reason", "Permohonan 1/XI", "--data-dir", str(island))
    assert erased.returncode == 0, erased.stderr
    after = tmp_path / "sesudah.bjs"
    out = ok_json(berjasa("sync", "export", "--to", str(after), "--json", "--data-dir", str(island)))
    assert out["erasures"] == 1 and out["records"] == 3
    # the later stick arrives first, then the old one
    first = ok_json(berjasa("central", "import-batches", str(after), "--json",
                            "--data-dir", str(central.data_dir)))
    assert first["erased"] == 0 and first["refused"] == []  # a tombstone: not received yet
    ok_json(berjasa("central", "import-batches", str(before), "--json",
                    "--data-dir", str(central.data_dir)))
    held = h.held_at_central(central, A)
    assert held.get(approved[0]) in (None, ["rejected"])  # never active
    assert all(held[rid] == ["accepted"] for rid in approved[1:])
    niks = {r["nik"] for r in central.query("SELECT nik FROM records")}
    assert nik not in niks
    # the kelurahan's reason came on the stick too
    assert central.query("SELECT reason FROM erasures WHERE record_id = ?",
                         (approved[0],))[0]["reason"] == "Permohonan 1/XI"
    back = tmp_path / "jawaban.bja"
    ok_json(berjasa("central", "export-answers", "--kelurahan", A, "--to", str(back), "--json",
                    "--data-dir", str(central.data_dir)))
    applied = ok_json(berjasa("sync", "import-answers", str(back), "--json", "--data-dir", str(island)))
    assert applied["erasures_confirmed"] == 1
    again = ok_json(berjasa("sync", "export", "--to", str(tmp_path / "lagi.bjs"), "--json",
                            "--data-dir", str(island)))
    assert again["erasures"] == 0  # confirmed: it does not travel again


def test_a_central_erasure_by_stick_leaves_nothing_readable_on_the_laptop(central, island,
                                                                          tmp_path):
    """An erasure applied from an answers file compacts the database as a pull does:
    before, the whole record stayed readable in kelurahan.db-wal and nothing ever
    finished the clean-up."""
    approved = h.seed_approved(island, 3, seed=57)
    stick = carry_batches(island, central, tmp_path / "flashdisk")
    [person] = h.kelurahan_rows(island, "SELECT nik, kk_number, full_name, mother_name, heir_name,"
                                " address, phone FROM enrollments WHERE id = ?", (approved[0],))
    secrets = [v for k, v in person.items() if v and k != "phone"] + [person["phone"][1:]]
    assert h.found(h.readable_texts(island), secrets)  # held before
    erased = berjasa("central", "privacy", "erase", person["nik"], "--reason", "Surat pusat 3/XI",
                     "--data-dir", str(central.data_dir))
    assert erased.returncode == 0, erased.stderr
    ok_json(berjasa("central", "export-answers", "--kelurahan", A, "--to",
                    str(stick / "jawaban.bja"), "--json", "--data-dir", str(central.data_dir)))
    server = connect(island / "kelurahan.db")  # the running server's connection keeps the WAL
    try:
        applied = ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                                  "--data-dir", str(island)))
        assert applied["updates_applied"] >= 1
        assert h.kelurahan_rows(island, "SELECT id FROM enrollments WHERE id = ?",
                                (approved[0],)) == []
        assert h.found(h.readable_texts(island), secrets) == []
    finally:
        server.close()
    assert not (island / "compaction.pending").exists()
    [other] = h.kelurahan_rows(island, "SELECT nik FROM enrollments WHERE id = ?", (approved[1],))
    assert h.found(h.readable_texts(island), [other["nik"]])  # the others stay


B = "73.71.01.1001"


def _central_key_id(central) -> str:
    return central.query("SELECT key_id FROM hint_keys WHERE retired_at IS NULL")[0]["key_id"]


def _hints_held(folder: Path) -> tuple[str, int]:
    """(key id, records hashed) of the duplicate hints a laptop holds."""
    keys = h.kelurahan_rows(folder, "SELECT key_id FROM hint_keys")
    blobs = h.kelurahan_rows(folder, "SELECT coalesce(sum(length(hashes)), 0) AS n FROM hint_hashes")
    return (keys[0]["key_id"] if keys else ""), blobs[0]["n"] // 16


def test_duplicate_hints_reach_a_laptop_that_is_never_online(central, island, tmp_path):
    """The answers file carries central's hint key and the hashes of every other
    kelurahan's active records, so an island's phones warn of city-wide duplicates
    too; a file older than what the laptop holds leaves its hints alone."""
    mainland = h.make_kelurahan(tmp_path / "daratan", B)
    central.register(mainland)
    h.seed_approved(mainland, 7, seed=61)
    assert run_once(mainland, h.agent_settings(mainland), "test").ok
    h.seed_approved(island, 3, seed=62)
    stick = carry_batches(island, central, tmp_path / "flashdisk")
    assert _hints_held(island) == ("", 0)
    out = ok_json(berjasa("central", "export-answers", "--kelurahan", A, "--to",
                          str(stick / "jawaban.bja"), "--json", "--data-dir", str(central.data_dir)))
    assert out["hint_records"] == 7  # the mainland's; the island's own three are in its filter
    applied = ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                              "--data-dir", str(island)))
    assert applied["hint_records"] == 7
    key_id = _central_key_id(central)
    assert _hints_held(island) == (key_id, 7)
    # the laptop's phones get them: the filter covers the mainland's records and its own
    from berjasa.database import connect
    from berjasa.settings import load_settings
    from server.field_dedupe import dedupe_index

    conn = connect(island / "kelurahan.db")
    try:
        index = dedupe_index(conn, island, load_settings(island))
    finally:
        conn.close()
    assert index["key_id"] == key_id and index["count"] == 7 + 3

    # the link comes back: the online pull goes on from the file's cursor, doubling nothing
    h.seed_approved(mainland, 2, seed=63, start=7)
    assert run_once(mainland, h.agent_settings(mainland), "test").ok
    assert run_once(island, h.agent_settings(island), "test").ok
    assert _hints_held(island) == (_central_key_id(central), 9)
    # an old file after that changes nothing
    again = ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                            "--data-dir", str(island)))
    assert again["hint_records"] == 0
    assert _hints_held(island) == (_central_key_id(central), 9)


def test_a_laptop_restored_from_its_backup_still_syncs_by_stick(central, island, tmp_path):
    """The backup carries central's exchange key pinned at registration: without it a
    restored laptop refused `sync export` until registered again (a new code, a new
    device)."""
    from tests.helpers import PASSPHRASE

    h.seed_approved(island, 2, seed=63)
    backup = tmp_path / "cadangan.bjb"
    berjasa("backup", str(backup), "--passphrase-stdin", "--data-dir", str(island),
            stdin=PASSPHRASE + "\n", check=True)
    restored = tmp_path / "laptop-baru"
    berjasa("restore", str(backup), "--passphrase-stdin", "--data-dir", str(restored),
            stdin=PASSPHRASE + "\n", check=True)
    (tmp_path / "usb").mkdir()  # the stick, mounted
    out = ok_json(berjasa("sync", "export", "--to", str(tmp_path / "usb" / "batch.bjs"), "--json",
                          "--data-dir", str(restored)))
    assert out["records"] == 2
    taken = ok_json(berjasa("central", "import-batches", str(tmp_path / "usb" / "batch.bjs"),
                            "--json", "--data-dir", str(central.data_dir)))
    assert taken["refused"] == []


def _status(laptop: Path) -> tuple[dict, str, dict]:
    """(``sync status --json``, its text, the supervisor panel's summary)."""
    from server.pages.sync_panel import sync_status as panel

    as_json = ok_json(berjasa("sync", "status", "--json", "--data-dir", str(laptop)))
    text = berjasa("sync", "status", "--data-dir", str(laptop)).stdout
    conn = connect(laptop / "kelurahan.db")
    try:
        return as_json, text, panel(conn)
    finally:
        conn.close()


def test_a_laptop_that_syncs_only_by_stick_shows_what_it_sent_and_got(central, island, tmp_path):
    """`sync status` and the panel said "belum pernah" for ever on a laptop that
    syncs only by stick: the last file sent and the last answers applied show."""
    h.seed_approved(island, 4, seed=71)
    status, text, panel = _status(island)
    assert status["last_push"] is None and "Terakhir terkirim: belum pernah" in text
    assert panel["last_push_at"] is None

    stick = carry_batches(island, central, tmp_path / "flashdisk")
    status, text, panel = _status(island)
    assert status["last_push"]["via"] == "usb" and status["last_push"]["records_sent"] == 4
    assert status["usb"]["last_export"]["records"] == 4 and status["usb"]["last_import"] is None
    assert "belum pernah" not in text and "(lewat flashdisk, 4 data)" in text, text
    assert panel["last_push_at"] == status["last_push"]["at"] and panel["last_push_by_stick"]

    ok_json(berjasa("central", "export-answers", "--kelurahan", A, "--to",
                    str(stick / "jawaban.bja"), "--json", "--data-dir", str(central.data_dir)))
    ok_json(berjasa("sync", "import-answers", str(stick / "jawaban.bja"), "--json",
                    "--data-dir", str(island)))
    status, text, panel = _status(island)
    assert status["usb"]["last_import"]["records_answered"] == 4
    assert "Jawaban pusat terakhir lewat flashdisk:" in text and "4 data terjawab" in text, text
    assert panel["last_answers_by_stick_at"] == status["usb"]["last_import"]["at"]
    # an online run that sends records afterwards is the later news
    h.seed_approved(island, 2, seed=72)
    assert run_once(island, h.agent_settings(island), "test").ok
    status, text, _ = _status(island)
    assert status["last_push"]["via"] == "online" and status["last_push"]["records_sent"] == 2
    assert "(lewat jaringan, 2 data)" in text, text


def test_an_export_to_a_folder_that_does_not_exist_is_refused(central, island, tmp_path,
                                                              monkeypatch):
    """An unmounted stick's path (/media/flashdisk/...) must not quietly become a
    folder on the laptop's own disk."""
    h.seed_approved(island, 2, seed=73)
    unmounted = tmp_path / "media" / "flashdisk"
    for args in (("sync", "export", "--to", str(unmounted / "batch.bjs"), "--data-dir", str(island)),
                 ("central", "export-answers", "--kelurahan", A, "--to",
                  str(unmounted / "jawaban.bja"), "--data-dir", str(central.data_dir))):
        refused = berjasa(*args)
        assert refused.returncode != 0, refused.stdout
        assert "tidak ada (flashdisk belum terpasang?)" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "media").exists()
    status = ok_json(berjasa("sync", "status", "--json", "--data-dir", str(island)))
    assert status["last_push"] is None and status["usb"]["last_export"] is None
    # a folder that exists (the stick mounted) takes the file, under a relative name too
    (tmp_path / "stick").mkdir()
    monkeypatch.chdir(tmp_path / "stick")
    assert ok_json(berjasa("sync", "export", "--to", "batch.bjs", "--json", "--data-dir",
                           str(island)))["records"] == 2
    assert (tmp_path / "stick" / "batch.bjs").exists()


def test_a_stick_of_a_revoked_laptop_is_refused_in_words_and_a_new_one_goes_after_registering(
        central, island, tmp_path):
    """Defect: after a revocation and a new registration, `sync export` put the old
    device's batch on the stick again and central refused it for ever."""
    from central.devices import revoke
    from central.storage.db import Database

    approved = h.seed_approved(island, 3, seed=74)
    stick = tmp_path / "flashdisk"
    stick.mkdir()
    ok_json(berjasa("sync", "export", "--to", str(stick / "lama.bjs"), "--json",
                    "--data-dir", str(island)))
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        old = ok_json(berjasa("sync", "status", "--json", "--data-dir", str(island)))["device_id"]
        assert revoke(db, old).devices == [old]
    finally:
        db.close()
    answer = berjasa("central", "import-batches", str(stick / "lama.bjs"), "--json",
                     "--data-dir", str(central.data_dir))
    assert answer.returncode != 0  # something refused: the office sees it
    refused = json.loads(answer.stdout.strip().splitlines()[-1])
    [reason] = {item["reason"] for item in refused["refused"]}
    assert "dicabut" in reason and "(device_revoked)" in reason, reason
    assert h.held_at_central(central, A) == {}

    central.register(island)  # a new code, a new device
    out = ok_json(berjasa("sync", "export", "--to", str(stick / "baru.bjs"), "--json",
                          "--data-dir", str(island)))
    assert out["records"] == 3 and out["device_id"] != old
    taken = ok_json(berjasa("central", "import-batches", str(stick / "baru.bjs"), "--json",
                            "--data-dir", str(central.data_dir)))
    assert taken["refused"] == [] and taken["records"] == 3
    assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in approved}


def test_a_stick_made_before_an_erasure_and_still_in_place_is_written_again(central, island,
                                                                           tmp_path):
    """The QA repro: `sync export --to usb1.bin`, then `privacy erase`, then central
    imports usb1.bin. Before, the file's batch made the person active at central (and
    put them on the BPJS file) until the laptop's next file; now the erasure writes the
    file again while it is still where it was written."""
    approved = h.seed_approved(island, 4, seed=81)
    stick = tmp_path / "flashdisk"
    stick.mkdir()
    usb1 = stick / "usb1.bin"
    ok_json(berjasa("sync", "export", "--to", str(usb1), "--json", "--data-dir", str(island)))
    before = usb1.read_bytes()
    nik = h.kelurahan_rows(island, "SELECT nik FROM enrollments WHERE id = ?", (approved[0],))[0]["nik"]
    erased = ok_json(berjasa("privacy", "erase", nik, "--reason", "Surat 01/PDP/2026", "--json",
                             "--data-dir", str(island)))
    taken = ok_json(berjasa("central", "import-batches", str(usb1), "--json",
                            "--data-dir", str(central.data_dir)))
    held = h.held_at_central(central, A)
    assert approved[0] not in held  # never active: a tombstone met nothing
    assert held == {rid: ["accepted"] for rid in approved[1:]}
    assert taken["refused"] == [] and taken["records"] == 3
    [named] = erased.get("usb_files")
    assert named["file"] == str(usb1.resolve()) and named["replaced"] is True
    assert usb1.read_bytes() != before
    [erasure] = central.query("SELECT reason, central_id FROM erasures WHERE record_id = ?",
                              (approved[0],))
    assert erasure == {"reason": "Surat 01/PDP/2026", "central_id": None}
    # the old bytes, had someone copied them, are refused for the person too
    old = tmp_path / "salinan-lama.bin"
    old.write_bytes(before)
    ok_json(berjasa("central", "import-batches", str(old), "--json",
                    "--data-dir", str(central.data_dir)))
    assert approved[0] not in h.held_at_central(central, A)


def _registration_file(central, tmp_path) -> str:
    """`central export --what bpjs-registration` with every rule passing (no DTSEN or
    BPJS list is loaded here, so the rules would say unknown): the file's text."""
    from central.storage.db import Database

    passing = json.dumps([{"rule": r, "result": "pass", "reason": "memenuhi"} for r in
                          ("domicile", "occupation", "age", "council", "dtsen", "bpjs_membership")])
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        with db.transaction():
            db.run("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (passing,))
    finally:
        db.close()
    out = tmp_path / "pendaftaran.csv"
    berjasa("central", "export", "--format", "csv", "--what", "bpjs-registration", "--output",
            str(out), "--data-dir", str(central.data_dir), check=True)
    return out.read_text(encoding="utf-8-sig")


def test_a_stick_carried_away_before_the_erasure_is_named_and_the_next_file_closes_it(
        central, island, tmp_path):
    """The window that remains (docs/privacy.md): the file left before the erasure.
    `privacy erase` names it and says what to do; the file, imported first, makes the
    person active at central; the next file carries the erasure ahead of its batches,
    central erases the person and says they were already on a BPJS registration file."""
    approved = h.seed_approved(island, 3, seed=82)
    stick = tmp_path / "flashdisk"
    stick.mkdir()
    usb1 = stick / "usb1.bin"
    ok_json(berjasa("sync", "export", "--to", str(usb1), "--json", "--data-dir", str(island)))
    carried = tmp_path / "kantor-pusat" / "usb1.bin"
    carried.parent.mkdir()
    usb1.rename(carried)  # the stick is on its way to the city office
    nik = h.kelurahan_rows(island, "SELECT nik FROM enrollments WHERE id = ?", (approved[0],))[0]["nik"]
    erased = berjasa("privacy", "erase", nik, "--reason", "Surat 02/PDP/2026",
                     "--data-dir", str(island))
    assert erased.returncode == 0, erased.stderr
    warning = " ".join(erased.stderr.split())
    assert f"Perhatian: Berkas flashdisk {usb1.resolve()} (ditulis " in warning, warning
    assert "tidak dapat ditulis ulang" in warning and "flashdisk sudah dibawa?" in warning
    assert f"berjasa sync export --to {usb1.resolve()}" in warning
    assert "Musnahkan berkas itu" in warning

    ok_json(berjasa("central", "import-batches", str(carried), "--json",
                    "--data-dir", str(central.data_dir)))
    assert h.held_at_central(central, A)[approved[0]] == ["accepted"]  # the window
    assert nik in _registration_file(central, tmp_path)

    out = ok_json(berjasa("sync", "export", "--to", str(stick / "usb2.bin"), "--json",
                          "--data-dir", str(island)))
    assert out["erasures"] == 1 and out["records"] == 2
    told = berjasa("central", "import-batches", str(stick / "usb2.bin"),
                   "--data-dir", str(central.data_dir))
    assert told.returncode == 0, told.stderr
    text = " ".join(told.stdout.split())
    assert f"data {approved[0]} yang kini dihapus sudah masuk berkas pendaftaran BPJS" in text
    assert "beri tahu BPJS Ketenagakerjaan" in text and nik not in told.stdout
    assert central.query("SELECT status FROM records WHERE record_id = ?",
                         (approved[0],)) == [{"status": "erased"}]
    [entry] = central.query("SELECT changes, reason FROM audit_log WHERE action = 'privacy.erase'")
    assert entry["reason"] == "Surat 02/PDP/2026"
    assert json.loads(entry["changes"])["registration_exported_at"][0]
    # the old file again: a replay, the person stays erased
    ok_json(berjasa("central", "import-batches", str(carried), "--json",
                    "--data-dir", str(central.data_dir)))
    assert central.query("SELECT status FROM records WHERE record_id = ?",
                         (approved[0],)) == [{"status": "erased"}]
    assert nik not in _registration_file(central, tmp_path)


def test_the_export_says_its_size_in_indonesian_digits(central, island, tmp_path):
    """`sync export` names the file's size as the project writes numbers (81.466)."""
    h.seed_approved(island, 12, seed=23)
    target = tmp_path / "batch.bjs"
    done = berjasa("sync", "export", "--to", str(target), "--data-dir", str(island), check=True)
    size = target.stat().st_size
    assert size >= 1000
    assert f"({size // 1000}.{size % 1000:03d} byte)" in done.stdout, done.stdout
