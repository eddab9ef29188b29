"""central exports: BPJS registration, BPKAD payment list, progress, all; CSV and XLSX (both backends)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from central.contributions import contribution, load_schedules, schedule_for
from central.exports import export

from .conftest import KELURAHAN_A, KELURAHAN_B, records


def _export(central, what, fmt="csv", output=None):
    db = central.db()
    try:
        return export(db, what, fmt, output, actor="operator-uji", as_of=date(2025, 10, 1))
    finally:
        db.close()


@pytest.fixture
def held(central):
    """Two accepted records in A and a duplicate from B."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    sent = records(2)
    sent[0]["monthly_income"] = 1_500_000
    a.send(sent)
    b.send([{**records(1, KELURAHAN_B, seed=4)[0], "nik": sent[0]["nik"]}])
    return sent


def test_bpjs_registration_csv(central, held):
    count, text = _export(central, "bpjs-registration")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 2 and [r["NIK"] for r in rows] == [held[0]["nik"], held[1]["nik"]]
    first = rows[0]
    assert first["NAMA_LENGKAP"] == held[0]["full_name"]
    assert first["NAMA_IBU_KANDUNG"] == held[0]["mother_name"]
    assert first["PROGRAM"] == "JKK+JKM" and first["KELURAHAN"] == "Bontorannu"
    assert first["KECAMATAN"] == "Mariso"


def test_payment_list_uses_the_band_base(central, held):
    _, text = _export(central, "payment-list")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["UPAH_DASAR_BAND"] == "1600000"
    assert (row["IURAN_JKK"], row["IURAN_JKM"], row["TOTAL_IURAN"]) == ("16000", "6800", "22800")
    assert row["BERLAKU_SEJAK"] == "2015-07-01"


def test_all_lists_every_record_with_its_status(central, held):
    count, text = _export(central, "all")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 3
    assert [r["STATUS_PUSAT"] for r in rows] == ["accepted", "accepted", "duplicate"]
    assert rows[2]["DUPLIKAT_DARI"] == f"{KELURAHAN_A}/{held[0]['id']}"


def test_xlsx_keeps_nik_as_text_and_is_audited(central, held, tmp_path):
    path = tmp_path / "bpjs.xlsx"
    count, text = _export(central, "bpjs-registration", "xlsx", path)
    assert text is None and count == 2
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "NIK"
    assert sheet["A2"].value == held[0]["nik"] and isinstance(sheet["A2"].value, str)
    audit = central.query("SELECT actor, what, format, row_count FROM export_audit")
    assert audit == [{"actor": "operator-uji", "what": "bpjs-registration", "format": "xlsx",
                      "row_count": 2}]


def test_progress_has_every_kelurahan(central, held):
    count, text = _export(central, "progress")
    rows = {r["KODE_KELURAHAN"]: r for r in csv.DictReader(io.StringIO(text))}
    assert count == 153
    assert rows[KELURAHAN_A]["DITERIMA"] == "2" and rows[KELURAHAN_B]["DUPLIKAT"] == "1"


@pytest.mark.parametrize("income, base, jkk", [
    (0, 1_000_000, 10_000), (1_099_000, 1_000_000, 10_000), (1_100_000, 1_200_000, 12_000),
    (2_699_000, 2_600_000, 26_000),
])
def test_contribution_bands(income, base, jkk):
    due = contribution(income, schedule_for(load_schedules(), date(2025, 10, 1)))
    assert (due.base, due.jkk, due.jkm, due.total) == (base, jkk, 6_800, jkk + 6_800)
    assert due.total >= 16_800


def test_no_schedule_before_the_first_effective_date():
    with pytest.raises(ValueError):
        schedule_for(load_schedules(), date(2010, 1, 1))
