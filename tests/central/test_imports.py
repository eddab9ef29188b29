"""central import dtsen / bpjs-participants: header matching, rejects, re-check (both backends)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from central.imports import ImportFileError, import_file

from .conftest import records


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _import(central, path, kind):
    db = central.db()
    try:
        return import_file(db, path, kind, central.data_dir, central.settings["dtsen_max_desil"])
    finally:
        db.close()


def test_dtsen_with_indonesian_columns_and_bad_rows(central, tmp_path):
    path = _write(tmp_path / "dtsen.csv",
                  "Nomor_Induk_Kependudukan;No_KK;Nama;Tanggal_Lahir;Kode_Kelurahan;Desil_Nasional\n"
                  "7371014101900001;7371010101200001;Sitti Aminah;01-01-1990;73.71.01.1001;3\n"
                  "7.37101E+15;7371010101200001;Rusak;01-01-1990;73.71.01.1001;3\n"
                  "7371014101900002;;Desil Salah;1990-01-01;73.71.01.1001;11\n"
                  "7371014101900001;;Kembar;1990-01-01;73.71.01.1001;2\n")
    summary = _import(central, path, "dtsen")
    assert {k: summary[k] for k in ("read", "accepted", "rejected")} == {"read": 4, "accepted": 1, "rejected": 3}
    with open(summary["rejects_file"], encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [r["alasan"] for r in rejects] == ["nik_damaged_by_spreadsheet", "desil_invalid",
                                              "duplicate_nik_in_file"]
    assert central.query("SELECT nik, birth_date, desil FROM dtsen") == [
        {"nik": "7371014101900001", "birth_date": "1990-01-01", "desil": 3}]


def test_missing_required_column_refuses_the_file(central, tmp_path):
    path = _write(tmp_path / "dtsen.csv", "nama,desil\nA,1\n")
    with pytest.raises(ImportFileError, match="nik"):
        _import(central, path, "dtsen")


def test_dtsen_import_rejects_held_records_above_the_cutoff(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    path = _write(tmp_path / "dtsen.csv", f"NIK,DESIL\n{sent[0]['nik']},9\n{sent[1]['nik']},2\n")
    assert _import(central, path, "dtsen")["rechecked"] == 1
    statuses = central.query("SELECT record_id, status FROM records ORDER BY central_id")
    assert [s["status"] for s in statuses] == ["rejected", "accepted"]
    last = device.updates().json()["updates"][-1]
    assert last["kind"] == "rejected" and last["reasons"] == ["dtsen_desil_above_cutoff"]
    assert last["record_id"] == sent[0]["id"]


def test_records_after_a_dtsen_import_are_checked(central, tmp_path):
    device = central.register()
    sent = records(3)
    _write(tmp_path / "d.csv", f"nik,desil\n{sent[0]['nik']},8\n{sent[1]['nik']},1\n")
    _import(central, tmp_path / "d.csv", "dtsen")
    results = device.send(sent)
    assert results[0] == {"id": sent[0]["id"], "result": "rejected", "reasons": ["dtsen_desil_above_cutoff"]}
    assert results[1]["result"] == "accepted"
    assert results[2]["result"] == "accepted"  # not in the snapshot: unknown, accepted
    checks = device.updates().json()["updates"][-1]["checks"]
    assert {"rule": "dtsen_desil", "result": "unknown", "reason": "not_in_dtsen_snapshot"} in checks


def test_bpjs_import_registers_held_records_with_their_kpj(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    path = _write(tmp_path / "bpjs.csv", f"NIK,No_KPJ,Program,Status\n{sent[1]['nik']},25012345678,JKK+JKM,Aktif\n")
    summary = _import(central, path, "bpjs-participants")
    assert summary["accepted"] == 1 and summary["rechecked"] == 1
    row = central.query("SELECT status, kpj_number FROM records WHERE record_id = ?", (sent[1]["id"],))
    assert row == [{"status": "registered", "kpj_number": "25012345678"}]
    last = device.updates().json()["updates"][-1]
    assert last["kind"] == "registered" and last["kpj_number"] == "25012345678"


def test_active_bpjs_participant_is_rejected_at_ingest(central, tmp_path):
    device = central.register()
    sent = records(1)
    _write(tmp_path / "b.csv", f"nik,kpj_number,status\n{sent[0]['nik']},,aktif\n")
    _import(central, tmp_path / "b.csv", "bpjs-participants")
    assert device.send(sent)[0] == {"id": sent[0]["id"], "result": "rejected",
                                    "reasons": ["already_bpjs_participant"]}
