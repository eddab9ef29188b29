"""Exports for BPJS, BPKAD and Disnaker, as CSV or XLSX; each one audited.

- ``bpjs-registration``: the BPJS Ketenagakerjaan bulk registration file, one row per
  active record (accepted or registered), program JKK+JKM, KPJ when known.
- ``payment-list``: BPKAD's list with each worker's monthly JKK and JKM from the
  dated contribution schedule, and the total the city pays.
- ``progress``: per kelurahan against targets (kecamatan in a column).
- ``all``: one row per record held at central with its central status.
Headers are Indonesian (the readers are Indonesian offices); NIK, KK and KPJ are
text cells in XLSX so no spreadsheet turns them into numbers.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from berjasa.reference import kelurahan, regions
from central.contributions import contribution, load_schedules, schedule_for
from central.progress import progress_by_kelurahan
from central.storage import findings as findings_store
from central.storage import reports
from central.storage.db import Database, utc_now

WHATS = ("bpjs-registration", "payment-list", "progress", "all")
TEXT_COLUMNS = {"NIK", "NO_KK", "NO_KPJ", "NO_HP", "KODE_KELURAHAN", "RT", "RW"}
SEX = {"L": "Laki-laki", "P": "Perempuan"}


def _names(code: str) -> tuple[str, str]:
    """(kelurahan name, kecamatan name) for a kelurahan code."""
    region = kelurahan(code or "")
    if region is None:
        return "", ""
    return region.name, regions()[region.kecamatan_code].name


def bpjs_registration(db: Database, **_: Any) -> list[dict[str, Any]]:
    """Rows of the BPJS bulk registration file."""
    out = []
    # a record with an open verification finding waits for a verifier (design.md)
    held_back = findings_store.records_with_open_findings(db)
    for r in reports.records_for_export(db, active_only=True):
        if r["central_id"] in held_back:
            continue
        kel, kec = _names(r["kelurahan_code"])
        out.append({
            "NIK": r["nik"], "NAMA_LENGKAP": r["full_name"], "TEMPAT_LAHIR": r["birth_place"],
            "TANGGAL_LAHIR": r["birth_date"], "JENIS_KELAMIN": SEX.get(r["sex"], r["sex"]),
            "NAMA_IBU_KANDUNG": r["mother_name"], "ALAMAT": r["address"], "RT": r["rt"],
            "RW": r["rw"], "KODE_KELURAHAN": r["kelurahan_code"], "KELURAHAN": kel,
            "KECAMATAN": kec, "KOTA": "Kota Makassar", "NO_HP": r["phone"] or "",
            "PEKERJAAN": r["occupation"], "JENIS_PEKERJAAN": r["work_category"] or "",
            "PROGRAM": "JKK+JKM", "NO_KPJ": r["kpj_number"] or "",
        })
    return out


def payment_list(db: Database, as_of: date | None = None,
                 contributions_file: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """Rows of the BPKAD payment list for the month of ``as_of`` (default today)."""
    schedule = schedule_for(load_schedules(contributions_file), as_of or date.today())
    out = []
    # a record with an open verification finding waits for a verifier (design.md)
    held_back = findings_store.records_with_open_findings(db)
    for r in reports.records_for_export(db, active_only=True):
        if r["central_id"] in held_back:
            continue
        kel, kec = _names(r["kelurahan_code"])
        due = contribution(int(r["monthly_income"] or 0), schedule)
        out.append({
            "NIK": r["nik"], "NAMA_LENGKAP": r["full_name"], "KODE_KELURAHAN": r["kelurahan_code"],
            "KELURAHAN": kel, "KECAMATAN": kec, "NO_KPJ": r["kpj_number"] or "",
            "PENGHASILAN": due.income, "UPAH_DASAR_BAND": due.base, "IURAN_JKK": due.jkk,
            "IURAN_JKM": due.jkm, "TOTAL_IURAN": due.total,
            "BAND_TERKONFIRMASI": "Ya" if due.band_confirmed else "Belum",
            "BERLAKU_SEJAK": due.effective_from, "DASAR_HUKUM": due.legal_basis,
        })
    return out


def progress(db: Database, targets_file: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """Rows of progress per kelurahan against targets."""
    return [{
        "KODE_KECAMATAN": p["kecamatan_code"], "KECAMATAN": p["kecamatan"],
        "KODE_KELURAHAN": p["kelurahan_code"], "KELURAHAN": p["kelurahan"], "TARGET": p["target"],
        "DITERIMA": p["active"], "TERDAFTAR_BPJS": p["registered"], "DUPLIKAT": p["duplicate"],
        "DITOLAK": p["rejected"], "CAPAIAN_PERSEN": p["percent"],
    } for p in progress_by_kelurahan(reports.counts_by_kelurahan(db), targets_file)]


def all_records(db: Database, **_: Any) -> list[dict[str, Any]]:
    """One row per record held at central with its central status."""
    out = []
    for r in reports.records_for_export(db, active_only=False):
        reasons = json.loads(r["reasons"]) if r["reasons"] else []
        duplicate_of = (f"{r['duplicate_of_kelurahan']}/{r['duplicate_of_record']}"
                        if r["duplicate_of_record"] else "")
        out.append({
            "CENTRAL_ID": r["central_id"], "KODE_KELURAHAN": r["kelurahan_code"],
            "ID_DATA": r["record_id"], "NIK": r["nik"], "NAMA_LENGKAP": r["full_name"],
            "TANGGAL_LAHIR": r["birth_date"], "JENIS_KELAMIN": r["sex"],
            "PENGHASILAN": r["monthly_income"], "STATUS_PUSAT": r["status"],
            "ALASAN": ";".join(reasons), "DUPLIKAT_DARI": duplicate_of,
            "NO_KPJ": r["kpj_number"] or "", "DITERIMA_PADA": r["received_at"],
            "DIPERBARUI_PADA": r["updated_at"],
        })
    return out


COLUMNS = {
    "bpjs-registration": ["NIK", "NAMA_LENGKAP", "TEMPAT_LAHIR", "TANGGAL_LAHIR", "JENIS_KELAMIN",
                          "NAMA_IBU_KANDUNG", "ALAMAT", "RT", "RW", "KODE_KELURAHAN", "KELURAHAN",
                          "KECAMATAN", "KOTA", "NO_HP", "PEKERJAAN", "JENIS_PEKERJAAN", "PROGRAM",
                          "NO_KPJ"],
    "payment-list": ["NIK", "NAMA_LENGKAP", "KODE_KELURAHAN", "KELURAHAN", "KECAMATAN", "NO_KPJ",
                     "PENGHASILAN", "UPAH_DASAR_BAND", "IURAN_JKK", "IURAN_JKM", "TOTAL_IURAN",
                     "BAND_TERKONFIRMASI", "BERLAKU_SEJAK", "DASAR_HUKUM"],
    "progress": ["KODE_KECAMATAN", "KECAMATAN", "KODE_KELURAHAN", "KELURAHAN", "TARGET", "DITERIMA",
                 "TERDAFTAR_BPJS", "DUPLIKAT", "DITOLAK", "CAPAIAN_PERSEN"],
    "all": ["CENTRAL_ID", "KODE_KELURAHAN", "ID_DATA", "NIK", "NAMA_LENGKAP", "TANGGAL_LAHIR",
            "JENIS_KELAMIN", "PENGHASILAN", "STATUS_PUSAT", "ALASAN", "DUPLIKAT_DARI", "NO_KPJ",
            "DITERIMA_PADA", "DIPERBARUI_PADA"],
}
BUILDERS = {"bpjs-registration": bpjs_registration, "payment-list": payment_list,
            "progress": progress, "all": all_records}


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_xlsx(rows: list[dict[str, Any]], columns: list[str], path: Path, title: str) -> None:
    """An XLSX workbook with one sheet; identifier columns as text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(columns)
    for row in rows:
        sheet.append([row[c] for c in columns])
    for index, name in enumerate(columns, 1):
        if name in TEXT_COLUMNS:
            for cell in sheet.iter_cols(min_col=index, max_col=index, min_row=2):
                for c in cell:
                    c.number_format = "@"
    sheet.freeze_panes = "A2"
    workbook.save(path)


def export(db: Database, what: str, fmt: str, output: Path | None, actor: str | None = None,
           **options: Any) -> tuple[int, str | None]:
    """Build and write one export, audit it; (row count, CSV text when no output file)."""
    rows = BUILDERS[what](db, **options)
    columns = COLUMNS[what]
    text = None
    if fmt == "xlsx":
        if output is None:
            raise ValueError("XLSX perlu --output BERKAS")
        write_xlsx(rows, columns, output, what)
    else:
        text = to_csv(rows, columns)
        if output is not None:
            output.write_text(text, encoding="utf-8")
            text = None
    with db.transaction():
        reports.add_export_audit(db, utc_now(), actor or getpass.getuser(), what, fmt, len(rows),
                                 str(output) if output else "stdout")
    return len(rows), text
