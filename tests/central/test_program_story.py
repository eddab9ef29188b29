"""Issue 9's "Done when" story on both backends, through the same services the CLI
and the downloads use: the synthetic DTSEN extract, cohort and BPJS list are imported
as Excel saved them, records arrive, the BPJS registration XLSX is written, BPJS's
answer (the registered NIKs with their KPJ) is imported, and the month's payment list
is checked by hand with openpyxl against a band table written out here."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl import load_workbook

from berjasa.synthetic import write_program_data
from central.exports import export
from central.imports import import_file

from .conftest import records

MONEY = ("IURAN_JKK", "IURAN_JKM", "IURAN_JHT", "TOTAL_IURAN")
# domain.md: "up to Rp1,099,000 -> base Rp1,000,000, bands Rp200k wide up to Rp2.7M"
CONFIRMED_BANDS = [(1_099_000 + 200_000 * n, 1_000_000 + 200_000 * n) for n in range(9)]


def _by_hand(income: int | None, jht: bool) -> tuple[int, int, int, int] | None:
    """JKK 1% and JHT 2% of the band base, JKM Rp6.800; None above the confirmed bands."""
    income = 0 if income is None else income  # no declared income: the lowest band
    base = next((b for up_to, b in CONFIRMED_BANDS if income <= up_to), None)
    if base is None:
        return None
    jkk, jht_due = base // 100, base * 2 // 100 if jht else 0
    return jkk, 6_800, jht_due, jkk + 6_800 + jht_due


def _sheet(path: Path) -> tuple[list[list], list[dict]]:
    """(title rows, table rows as dicts) of an export's only sheet."""
    sheet = load_workbook(path).active
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    start = next(i for i, row in enumerate(values) if row[0] in ("NIK", "NO"))
    return values[:start], [dict(zip(values[start], row, strict=False)) for row in values[start + 1:]]


def _import(central, path: Path, kind: str) -> dict:
    db = central.db()
    try:
        return import_file(db, path, kind, central.data_dir, central.settings)
    finally:
        db.close()


def _export(central, what: str, path: Path, **filters) -> None:
    db = central.db()
    try:
        export(db, what, "xlsx", path, actor="operator-kota", **filters)
    finally:
        db.close()


def test_from_the_dtsen_import_to_a_payment_list_checked_by_hand(central, tmp_path):
    device = central.register()
    sent = records(40)
    paths = write_program_data(tmp_path / "program", sent, seed=3, dtsen_rows=200,
                               cohort_rows=60, participants=30)
    for kind in ("dtsen", "cohort", "bpjs-participants"):
        assert _import(central, paths[kind], kind)["accepted"] > 0
    results = device.send(sent)
    assert any(r["result"] == "accepted" for r in results)

    registration = tmp_path / "pendaftaran.xlsx"
    _export(central, "bpjs-registration", registration)
    _, rows = _sheet(registration)
    registered = [r["NIK"] for r in rows]
    assert registered and all(isinstance(nik, str) and len(nik) == 16 for nik in registered)
    assert all(r["NO_KK"] and r["NAMA_AHLI_WARIS"] and r["PENGHASILAN"] for r in rows)
    # the story's file went to BPJS in 2025-11, the month BPJS's answer starts coverage
    central.change("UPDATE records SET registration_exported_at = '2025-11-03T01:00:00+00:00'"
                   " WHERE registration_exported_at IS NOT NULL")

    # BPJS's answer, as their office saves it: the old list plus our NIKs with a KPJ
    answer = paths["bpjs-participants"].read_text(encoding="utf-8-sig").splitlines()
    answer += [f"'{nik},'{9_000_000_000 + n},JKK+JKM,Aktif,2025-11" for n, nik in enumerate(registered)]
    bpjs = tmp_path / "bpjs_balasan.csv"
    bpjs.write_bytes(("\r\n".join(answer) + "\r\n").encode("cp1252"))
    _import(central, bpjs, "bpjs-participants")
    held = central.query("SELECT nik, kpj_number, coverage_start FROM records"
                         " WHERE status = 'registered' ORDER BY nik")
    assert [r["nik"] for r in held] == sorted(registered)
    assert {r["coverage_start"] for r in held} == {"2025-11"}

    payment = tmp_path / "iuran-2025-11.xlsx"
    _export(central, "payment-list", payment, month="2025-11", draft=True)
    titles, table = _sheet(payment)
    assert any(t[0] and "Bulan: 2025-11" in t[0] for t in titles)
    workers = [r for r in table if r["NO"] is not None]
    groups = defaultdict(set)
    for row in workers:
        groups[row["KELOMPOK"]].add(row["NIK"])
    assert groups["Pekerja baru"] == set(registered)
    cohort = central.query("SELECT nik FROM cohort WHERE coverage_start <= '2025-11'")
    assert groups["Kohort 2024"] == {r["nik"] for r in cohort}

    confirmed = defaultdict(lambda: [0, 0, 0, 0, 0])  # kelurahan: workers, JKK, JKM, JHT, total
    placeholder = [0, 0, 0, 0, 0]
    for row in workers:
        due = _by_hand(row["PENGHASILAN"], row["IURAN_JHT"] > 0)
        amounts = [row[k] for k in MONEY]
        assert all(isinstance(a, int) for a in amounts)
        if due is None:
            assert row["BAND_TERKONFIRMASI"] == "Belum"
            into = placeholder
        else:
            assert row["BAND_TERKONFIRMASI"] == "Ya" and tuple(amounts) == due, row
            into = confirmed[row["KODE_KELURAHAN"]]
        into[0] += 1
        for index, amount in enumerate(amounts, 1):
            into[index] += amount
    labels = [r for r in table if r["NO"] is None]
    subtotals = {r["NAMA_LENGKAP"].split(" (")[0].split()[-1]: r for r in labels
                 if r["NAMA_LENGKAP"].startswith("SUBTOTAL ")}
    for code, sums in confirmed.items():
        assert [subtotals[code][k] for k in MONEY] == sums[1:], code
        assert f"({sums[0]} pekerja" in subtotals[code]["NAMA_LENGKAP"]
    total = labels[-1]
    assert total["NAMA_LENGKAP"].startswith(f"TOTAL KESELURUHAN ({sum(s[0] for s in confirmed.values())} pekerja")
    assert [total[k] for k in MONEY] == [sum(s[i] for s in confirmed.values()) for i in range(1, 5)]
    assert placeholder[0] > 0  # the synthetic cohort has incomes above the confirmed bands
    assert [labels[-2][k] for k in MONEY] == placeholder[1:]
    # the placeholder amounts are never in the total
    assert total["TOTAL_IURAN"] == sum(r["TOTAL_IURAN"] for r in workers) - placeholder[4]
