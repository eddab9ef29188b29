"""BPKAD's monthly payment list (``payment-list``): the 2024 cohort and the registered
new workers, their contributions, a subtotal per kelurahan and a grand total; refused
while a row uses an unconfirmed band or rate unless it is a draft.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from berjasa import local_time
from berjasa.eligibility import ParameterError
from berjasa.spreadsheet import EMPHASIS
from central import holds
from central.contributions import Calculator
from central.export_fields import (
    CITY,
    Builder,
    ExportError,
    income_failed,
    region_names,
    stored_json,
)
from central.storage import payments, reports, snapshots
from central.storage.db import Database

DRAFT_WATERMARK = ("DRAF - BUKAN UNTUK PEMBAYARAN: memakai band atau tarif yang belum "
                   "terkonfirmasi peraturan")
# The draft's row of the placeholder sums (band or rate not confirmed by regulation).
PLACEHOLDER_LABEL = "BELUM TERKONFIRMASI (PERKIRAAN)"
MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")


class PaymentListRefused(ExportError):
    """A final payment list would use an unconfirmed band or rate. ``detail`` says
    which; the message adds the command line's way out (``--draft``), a page says
    its own (:func:`central.downloads.produce`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; pakai --draft untuk melihatnya dengan tanda DRAF")
        self.detail = detail


def month_label(month: str) -> str:
    """2025-10 -> Oktober 2025."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def reissue_line(month: str, earlier: list[dict[str, Any]]) -> str:
    """The final list's header line when ``earlier`` final lists of ``month`` were made
    (``export_audit`` rows, oldest first): which issue this is, the first and the last
    before it (when, by whom, workers, SHA-256), and that it replaces them."""
    def made(row: dict[str, Any]) -> str:
        return (f"{local_time.wita(row['at'], seconds=True)} oleh {row['actor']}, "
                f"{row['row_count']} pekerja, SHA-256 {str(row['sha256'] or '')[:16]}")
    which = (f"sebelumnya dibuat {made(earlier[0])}" if len(earlier) == 1 else
             f"sebelumnya dibuat {len(earlier)} kali: pertama {made(earlier[0])}; terakhir "
             f"{made(earlier[-1])}")
    return (f"Perhatian: daftar final bulan {month} ini penerbitan ke-{len(earlier) + 1}; {which}. "
            "Daftar ini menggantikan yang sebelumnya, bukan tambahan: iuran satu bulan dibayar "
            "satu kali saja (yang sudah dibayar dari daftar sebelumnya tidak dibayar lagi).")


class PaymentList(Builder):
    """BPKAD's monthly payment list with subtotals per kelurahan and a grand total."""

    MONEY = ("jkk", "jkm", "jht", "total")

    def __init__(self, db: Database, month: str, draft: bool, config: dict[str, Any],
                 generated_at: str, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(db)
        self.month, self.draft = month, draft
        year, number = (int(p) for p in month.split("-"))
        self.calculator = Calculator(config, date(year, number, 1))
        schedule = self.calculator.schedule
        self.excluded_income = 0
        self.unconfirmed: Counter[str] = Counter()
        self.unconfirmed_rows = 0
        discounts = ", ".join(self.calculator.discounts) or (
            f"tidak ada (pembayar {self.calculator.payer}; PP 50/2025 tidak berlaku)")
        self.title_lines = ([DRAFT_WATERMARK] if draft else []) + [
            "DAFTAR PEMBAYARAN IURAN BPJS KETENAGAKERJAAN - PROGRAM MAKASSAR BERJASA",
            f"Bulan: {month} ({month_label(month)})",
            f"Pembayar: {self.calculator.payer} {CITY}",
            (f"Dasar hukum: {schedule['legal_basis']} (jadwal berlaku sejak "
             f"{schedule['effective_from']})"),
            f"Potongan iuran: {discounts}",
            ("Iuran dalam rupiah bulat: JKK dan JHT dari upah dasar band, JKM tetap; "
             "penghasilan kosong = band terendah"),
            f"Dibuat: {local_time.wita(generated_at, seconds=True)} ({generated_at} UTC)",
        ]
        # who this month's list leaves out, and why: BPJS bills for every registered
        # participant, so the treasurer reconciles the two with this line
        try:  # the BPU age limits in force that month, read at each coverage start
            self.ages = holds.age_window(month, settings)
            self.left_out = holds.payment_left_out(db, month, settings=settings)
        except ParameterError as exc:
            raise ExportError(str(exc)) from exc
        held = holds.payment_line(self.left_out, month, cohort=False)
        if held:
            self.title_lines.append(held)
        # the final lists made for this month before: a second one replaces, never adds
        self.earlier = [made for made in reports.payment_lists_of(db, month)
                        if not stored_json(made["filters"], {}).get("draft")]
        self.reissue = reissue_line(month, self.earlier) if self.earlier and not draft else None
        if self.reissue:
            self.title_lines.append(self.reissue)
        cohort = snapshots.in_force(db, "cohort")
        if cohort and cohort["rejected"]:
            # a cohort row the import refused is nobody's row here: not paid until fixed
            self.title_lines.append(
                f"Perhatian: {cohort['rejected']} baris kohort 2024 ({cohort['file_name']}) ditolak saat "
                f"impor dan tidak ada di daftar ini; perbaiki berkasnya (lihat berkas penolakan impor) "
                f"lalu impor ulang kohort")

    def _subtotal(self, label: str, sums: dict[str, int], workers: int,
                  left_out: int = 0) -> dict[str, Any]:
        """A subtotal or total row: ``workers`` summed; ``left_out`` draft rows on an
        unconfirmed band or rate, which are never summed as if real."""
        counted = f"{workers} pekerja" + (
            f"; {left_out} pekerja band belum terkonfirmasi tidak dijumlahkan" if left_out else "")
        return {"full_name": f"{label} ({counted})", **sums, EMPHASIS: True}  # bold in XLSX

    def rows(self) -> Iterator[dict[str, Any]]:
        """Worker rows by kelurahan, a SUBTOTAL after each kelurahan, the grand total
        last. A draft's rows on an unconfirmed band or rate show their placeholder
        amounts (BAND_TERKONFIRMASI Belum) but stay out of the subtotals and the
        total: their sums are one row of their own above the total."""
        grand, placeholder = dict.fromkeys(self.MONEY, 0), dict.fromkeys(self.MONEY, 0)
        current, sums, workers, left_out = None, dict.fromkeys(self.MONEY, 0), 0, 0
        for r in payments.stream_payable(self.db, self.month, self.ages):
            if r["source"] == "new" and income_failed(r["eligibility"]):
                self.excluded_income += 1
                continue
            if r["kelurahan_code"] != current:
                if current is not None:
                    yield self._subtotal(f"SUBTOTAL {region_names(current)[0]} {current}", sums, workers,
                                         left_out)
                current, sums, workers, left_out = r["kelurahan_code"], dict.fromkeys(self.MONEY, 0), 0, 0
            due = self.calculator(r["monthly_income"], jht=bool(r["jht"]))
            kel, kec = region_names(r["kelurahan_code"])
            self.count += 1
            amounts = {"jkk": due.jkk, "jkm": due.jkm, "jht": due.jht, "total": due.total}
            if due.unconfirmed:
                self.unconfirmed_rows += 1
                self.unconfirmed.update(due.unconfirmed)
                left_out += 1
                for key, value in amounts.items():
                    placeholder[key] += value
            else:
                workers += 1
                for key, value in amounts.items():
                    sums[key] += value
                    grand[key] += value
            yield {
                "no": self.count, "nik": r["nik"], "kpj_number": r["kpj_number"],
                "full_name": r["full_name"], "kelurahan_code": r["kelurahan_code"],
                "kelurahan": kel, "kecamatan": kec,
                "group": "Kohort 2024" if r["source"] == "cohort" else "Pekerja baru",
                "coverage_start": r["coverage_start"], "monthly_income": r["monthly_income"],
                "band_base": due.base, "band_confirmed": "Ya" if not due.unconfirmed else "Belum",
                **amounts,
            }
        if current is not None:
            yield self._subtotal(f"SUBTOTAL {region_names(current)[0]} {current}", sums, workers, left_out)
        if self.unconfirmed_rows and not self.draft:
            which = ", ".join(f"{name} ({n} baris)" for name, n in sorted(self.unconfirmed.items()))
            raise PaymentListRefused(
                f"daftar pembayaran final ditolak: {self.unconfirmed_rows} baris memakai band/tarif "
                f"belum terkonfirmasi: {which}")
        if self.unconfirmed_rows:
            yield self._subtotal(f"{PLACEHOLDER_LABEL}, TIDAK DIJUMLAHKAN", placeholder,
                                 self.unconfirmed_rows)
        yield self._subtotal("TOTAL KESELURUHAN", grand, self.count - self.unconfirmed_rows,
                             self.unconfirmed_rows)
