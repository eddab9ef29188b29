"""`berjasa central privacy export NIK --reason`: a data subject's copy of what central
holds about them (UU PDP Pasal 7), on both backends: what no kelurahan export has
(eligibility results, KPJ, findings and a verifier's decision, a likely-duplicate
pair by the other record's ids only, the decisions sent back, central's trail, the
person's rows of DTSEN and the BPJS list); a trail entry naming who and why, never
the NIK; the refusals in one line each."""

from __future__ import annotations

import csv
import hashlib
import json
import stat

import pytest

from central import subject_access, verification
from central.imports import import_file
from tests.central.conftest import KELURAHAN_A, flagged_pair
from tests.central.test_cli import berjasa
from tests.central.test_verification import _decide_pair, _import_dtsen, _init, _registration_niks

REASON = "Surat 05/PDP/2026"


def _import_bpjs(central, tmp_path, rows):
    path = tmp_path / "peserta.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["nik", "no_kpj", "program", "status"])
        writer.writerows(rows)
    db = central.db()
    try:
        return import_file(db, path, "bpjs-participants", tmp_path, 5)
    finally:
        db.close()


@pytest.fixture
def person(central, tmp_path):
    """A person central knows well: a pair decided "different", a DTSEN finding
    confirmed, put on a registration file and registered with a KPJ by BPJS's list.
    (the person's record, the other record of the pair)."""
    _a, _b, first, second, pair = flagged_pair(central)
    _decide_pair(central, pair, "different", "Dua orang berbeda, KK berbeda", "vera")
    _import_dtsen(central, tmp_path, [(first["nik"], first["kk_number"], "Nama Lain Sama Sekali",
                                       first["birth_date"], KELURAHAN_A, 2)])
    db = central.db()
    try:
        [finding] = [f for f in verification.store.list_findings(db)]
        verification.decide_finding(db, finding["id"], "confirm", "Sesuai KTP asli", "vera")
    finally:
        db.close()
    assert first["nik"] in _registration_niks(central)
    _import_bpjs(central, tmp_path, [(first["nik"], "25012345678", "JKK", "aktif")])
    [row] = central.query("SELECT status, kpj_number FROM records WHERE record_id = ?", (first["id"],))
    assert row == {"status": "registered", "kpj_number": "25012345678"}
    _init(central)
    return first, second


def test_the_copy_holds_what_only_central_holds_and_the_trail_says_who_and_why(central, person):
    first, second = person
    done = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON, "--by", "Rina",
                   "--json", data_dir=central.data_dir)
    copy = json.loads(done.stdout)
    assert copy["nik"] == first["nik"]
    [record] = copy["records"]
    assert (record["record_id"], record["status"], record["kpj_number"]) == (
        first["id"], "registered", "25012345678")
    assert record["full_name"] == first["full_name"] and record["registration_exported_at"]
    assert {r["rule"] for r in record["eligibility"]} >= {"dtsen", "bpjs_membership"}
    [finding] = record["findings"]
    assert (finding["kind"], finding["decision"], finding["reason"]) == (
        "dtsen_mismatch", "confirm", "Sesuai KTP asli")
    assert finding["evidence"]["mismatch"] == ["full_name"]
    [pair] = record["duplicate_pairs"]
    assert (pair["other_record_id"], pair["decision"], pair["reason"]) == (
        second["id"], "different", "Dua orang berbeda, KK berbeda")
    assert "registered" in {u["kind"] for u in record["updates_to_kelurahan"]}
    assert copy["source_lists"]["dtsen"]["full_name"] == "Nama Lain Sama Sekali"
    assert copy["source_lists"]["bpjs_participants"]["kpj_number"] == "25012345678"
    assert copy["source_lists"]["cohort"] is None
    assert {"decision.finding.confirm", "decision.pair.different"} <= {
        e["action"] for e in copy["trail"]}
    # the other person of the pair is there by ids only
    for value in (second["nik"], second["full_name"], second["address"]):
        assert value not in done.stdout

    [entry] = central.query("SELECT actor, role, record_id, changes, reason FROM audit_log"
                            " WHERE action = 'privacy.export'")
    assert (entry["actor"], entry["role"], entry["reason"]) == ("cli:Rina", "cli", REASON)
    details = json.loads(entry["changes"])
    assert details["records"] == [f"{KELURAHAN_A}/{first['id']}"]
    assert details["sha256"] == hashlib.sha256(done.stdout.encode("utf-8")).hexdigest()
    assert details["source_lists"] == ["bpjs_participants", "dtsen"]
    assert first["nik"] not in json.dumps(entry) and first["full_name"] not in json.dumps(entry)
    assert details["pseudonym"].startswith("p1:")


def test_to_a_file_owner_only_with_its_hash_and_the_text_summary(central, person, tmp_path):
    first, _ = person
    target = tmp_path / "salinan.json"
    done = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON, "--to",
                   str(target), "--json", data_dir=central.data_dir)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    data = target.read_bytes()
    assert summary == {"to": str(target), "records": 1, "source_lists": ["DTSEN", "peserta BPJS"],
                       "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert json.loads(data)["records"][0]["record_id"] == first["id"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert first["nik"] not in done.stdout
    text = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON,
                   data_dir=central.data_dir).stdout.splitlines()
    assert text[-1] == "1" and "status=registered  kpj=25012345678" in text[0]
    assert text[-2].startswith("Daftar sumber: DTSEN, peserta BPJS;")
    said = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON, "--to",
                   str(target), data_dir=central.data_dir).stdout
    size = target.stat().st_size  # the project's thousands (81.466), never 1,552
    assert size >= 1000 and f"({size // 1000}.{size % 1000:03d} byte)" in said, said
    outputs = [json.loads(e["changes"])["output"] for e in central.query(
        "SELECT changes FROM audit_log WHERE action = 'privacy.export' ORDER BY seq")]
    assert outputs == ["salinan.json", "stdout", "salinan.json"]


def test_a_file_named_after_the_person_is_not_named_in_the_trail(central, person, tmp_path):
    """An operator names the copy after its owner (``salinan-<NIK>.json``, the name):
    the trail, kept after the person's erasure, keeps neither; the hash names the file."""
    first, _ = person
    for name in (f"salinan-{first['nik']}.json", f"salinan {first['nik'][:6]}.{first['nik'][6:]}.json",
                 f"salinan-{first['full_name'].replace(' ', '_')}.json"):
        done = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON, "--to",
                       str(tmp_path / name), "--json", data_dir=central.data_dir)
        assert json.loads(done.stdout.strip().splitlines()[-1])["to"] == str(tmp_path / name)
    entries = central.query("SELECT changes FROM audit_log WHERE action = 'privacy.export'")
    stored = repr(entries)
    assert first["nik"] not in "".join(c for c in stored if c.isdigit())
    assert first["full_name"].split()[0] not in stored
    assert {json.loads(e["changes"])["output"] for e in entries} == {subject_access.OUTPUT_WITHHELD}


def test_after_an_erasure_the_copy_says_so_and_keeps_only_the_source_lists(central, person):
    first, _ = person
    berjasa("central", "privacy", "erase", first["nik"], "--reason", "Surat 06/PDP/2026",
            data_dir=central.data_dir)
    copy = json.loads(berjasa("central", "privacy", "export", first["nik"], "--reason", REASON,
                              "--json", data_dir=central.data_dir).stdout)
    assert copy["records"] == [] and copy["source_lists"]["dtsen"] is not None
    assert [(e["record_id"], e["reason"]) for e in copy["erasures"]] == [
        (first["id"], "Surat 06/PDP/2026")]


@pytest.mark.parametrize("args, words", [
    (["7371014101900001", "--reason", REASON], "Tidak ada data dengan NIK ini di registri pusat"),
    (["7371014101900001", "--reason", " "], "Alasan permintaan salinan wajib diisi"),
    (["73710141019", "--reason", REASON], "NIK"),
])
def test_refusals_are_one_line_and_leave_no_trail_entry(central, args, words):
    _init(central)
    done = berjasa("central", "privacy", "export", *args, data_dir=central.data_dir, check=False)
    assert done.returncode != 0 and words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert central.query("SELECT count(*) AS n FROM audit_log WHERE action = 'privacy.export'"
                         )[0]["n"] == 0


def test_a_missing_folder_or_reason_is_refused_before_anything_is_recorded(central, person,
                                                                           tmp_path):
    first, _ = person
    missing = berjasa("central", "privacy", "export", first["nik"], "--reason", REASON, "--to",
                      str(tmp_path / "flashdisk" / "salinan.json"), data_dir=central.data_dir,
                      check=False)
    assert missing.returncode != 0 and "tidak ada (flashdisk belum terpasang?)" in missing.stderr
    no_reason = berjasa("central", "privacy", "export", first["nik"], data_dir=central.data_dir,
                        check=False)
    assert no_reason.returncode != 0 and "--reason" in no_reason.stderr
    assert central.query("SELECT count(*) AS n FROM audit_log WHERE action = 'privacy.export'"
                         )[0]["n"] == 0
    helped = berjasa("central", "privacy", "--help", data_dir=central.data_dir)
    assert "export" in helped.stdout and "erase" in helped.stdout
