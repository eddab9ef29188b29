"""Central's exports for BPJS, BPKAD and Disnaker, as CSV or XLSX; each one audited.

One service, :func:`export`, for the CLI and the dashboard's downloads:
``export(db, what, fmt, output, actor, **filters) -> ExportResult`` (rows, SHA-256).

- ``bpjs-registration``: one row per record that passes EVERY stored rule (none
  failing, none unknown) and that BPJS does not list yet (status accepted, no KPJ,
  not an active participant in the loaded list, not in the 2024 cohort); see
  :func:`central.storage.reports.registration_exclusions` for the one place to add
  conditions, and ``REGISTRATION_HOLDS`` there for what keeps a record off until a
  verifier decides (an open finding; an open likely-duplicate pair, both its records).
  The result's filters count the records held (:func:`held_line` says it in words),
  and ``held_kpj_claims`` the records kept off until the BPJS list is imported (a
  kelurahan's KPJ claim). Records put on a file get ``registration_exported_at``
  (first time only).
- ``payment-list``: BPKAD's list for one month: the 2024 cohort and the registered
  new workers whose coverage started by then, with band, JKK, JKM, JHT and total per
  row, a subtotal row per kelurahan and a grand total, under header lines (month,
  legal basis, payer, generation time). A registered worker whose stored income rule
  failed is not billed. Refused while any row uses an unconfirmed band or rate,
  unless ``draft`` (then the first line is the watermark :data:`DRAFT_WATERMARK`, and
  such rows stay out of the subtotals and the total: their placeholder sums are a
  row of their own, never summed as if real).
- ``rejections``: records central rejected or holds as duplicates, with reason codes
  and Indonesian reasons.
- ``progress``: per kelurahan and kecamatan against targets, the 2024 cohort and the
  new workers apart, counts by sex, disability and work category; a city row.
- ``all``: one row per record held at central with its central status.

Columns are defined once, in central/data/export_columns.json (or the file the
``central_export_columns_file`` setting names), so a branch office's template can
replace them. Every file goes through :mod:`berjasa.spreadsheet` (formula-safe,
identifiers as text, atomic, hashed).
"""

from __future__ import annotations

import getpass
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

from berjasa import local_time
from berjasa.number_text import rupiah
from berjasa.record_reasons import RECORD_REASON_TEXT
from berjasa.reference import kelurahan, regions
from berjasa.spreadsheet import EMPHASIS, KINDS, Column, write_export
from central import progress as progress_rules
from central import restores
from central.contributions import Calculator, ContributionConfigError, load_config
from central.eligibility import RULE_OF_REJECTION
from central.storage import reports, snapshots
from central.storage.db import Database, utc_now

WHATS = ("bpjs-registration", "payment-list", "rejections", "progress", "all")
SHEET_TITLES = {"bpjs-registration": "Pendaftaran BPJS", "payment-list": "Daftar Pembayaran",
                "rejections": "Penolakan", "progress": "Capaian", "all": "Semua Data"}
SEX = {"L": "Laki-laki", "P": "Perempuan"}
CITY = "Kota Makassar"
DRAFT_WATERMARK = ("DRAF - BUKAN UNTUK PEMBAYARAN: memakai band atau tarif yang belum "
                   "terkonfirmasi peraturan")
# The draft's row of the placeholder sums (band or rate not confirmed by regulation).
PLACEHOLDER_LABEL = "BELUM TERKONFIRMASI (PERKIRAAN)"
DISABILITY_KINDS = {"seeing": "melihat", "hearing": "mendengar", "walking": "berjalan",
                    "cognition": "mengingat/berkonsentrasi", "self_care": "mengurus diri",
                    "communication": "berkomunikasi"}
# Rules whose failure means the declared income is outside the program: such a
# worker is not billed even when registered (berjasa/eligibility.py: the council
# rule holds the income alternative).
INCOME_RULES = frozenset({"income", "council"})
REASON_TEXT = {
    **RECORD_REASON_TEXT,  # the kelurahan's intake rules, checked again at central
    "dtsen_desil_above_cutoff": "Desil DTSEN di atas batas program",
    "already_bpjs_participant": "Sudah peserta aktif BPJS Ketenagakerjaan",
    "already_in_cohort": "Sudah termasuk kohort 2024 yang iurannya dibayar kota",
    "duplicate": "NIK sudah terdaftar aktif di kelurahan lain",
    "duplicate_nik": "NIK sudah terdaftar aktif di kelurahan lain",
    "duplicate_person": "Orang yang sama dengan data lain (keputusan verifikator)",
    "verifier_rejected": "Ditolak verifikator",
}
# The months an export takes from a user (CLI --month/--as-of, the download's ``month``):
# YYYY-MM in ASCII digits (``\d`` would take "2026-1\u0661" or full-width digits and
# label a list with a month it is not for), 2000-01 to 2100-12. central.schemas shows
# the same pattern in /openapi.json.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH_PATTERN = r"^(20[0-9][0-9]|2100)-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN, re.ASCII)
# The exports that take a month and a draft (the others refuse both).
MONTH_EXPORTS = frozenset({"payment-list"})
# a verifier's rejection is stored as this prefix and the verifier's text
# (central.verification.VERIFIER_REJECTION)
VERIFIER_PREFIX = "verifikasi: "
MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")


class ExportError(ValueError):
    """An export cannot be made (one clear line for the user)."""


class FilterError(ExportError):
    """A filter an export does not take or cannot read; ``field`` names it (``month``,
    ``draft``, ``as_of``) so the CLI names its option and a download its parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PaymentListRefused(ExportError):
    """A final payment list would use an unconfirmed band or rate. ``detail`` says
    which; the message adds the command line's way out (``--draft``), a page says
    its own (:func:`central.downloads.produce`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; pakai --draft untuk melihatnya dengan tanda DRAF")
        self.detail = detail


@dataclass
class ExportResult:
    """What :func:`export` wrote and audited."""

    what: str
    format: str
    rows: int
    sha256: str
    size: int
    output: str
    filters: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON answer of the CLI (no file content)."""
        return {"what": self.what, "format": self.format, "rows": self.rows,
                "sha256": self.sha256, "bytes": self.size, "output": self.output,
                "filters": self.filters}


# -- column definitions -------------------------------------------------------------

def load_columns(path: str | Path | None = None) -> dict[str, list[Column]]:
    """{what: [Column, ...]} from the export columns file (default: the shipped one).
    A replacement file may reorder, rename or drop columns; an unknown key or kind
    is an ExportError naming it."""
    shipped = json.loads(resources.files("central").joinpath("data", "export_columns.json")
                         .read_text(encoding="utf-8"))
    chosen = shipped
    if path:
        try:
            chosen = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise ExportError(f"berkas kolom ekspor tidak dapat dibaca ({path}): {exc}") from exc
    out = {}
    for what in WHATS:
        known = {c["key"] for c in shipped[what]}
        entries = chosen.get(what, shipped[what])
        columns = []
        for entry in entries:
            key, kind = entry.get("key"), entry.get("kind", "text")
            if key not in known:
                raise ExportError(f"berkas kolom ekspor: kolom '{key}' tidak dikenal untuk {what}"
                                  f" (pilih dari: {', '.join(sorted(known))})")
            if kind not in KINDS:
                raise ExportError(f"berkas kolom ekspor: jenis '{kind}' untuk {what}.{key} tidak"
                                  f" dikenal (pilih dari: {', '.join(KINDS)})")
            decimals = entry.get("decimals", 0)
            if type(decimals) is not int or not 0 <= decimals <= 4:
                raise ExportError(f"berkas kolom ekspor: decimals untuk {what}.{key} harus 0-4")
            columns.append(Column(key, str(entry.get("header") or key), kind, decimals))
        out[what] = columns
    return out


# -- shared helpers -----------------------------------------------------------------

def parse_month(text: str | None, today: date | None = None) -> str:
    """``YYYY-MM`` checked (default: the current month); FilterError otherwise."""
    if text is None:
        return (today or local_time.today()).strftime("%Y-%m")
    if not _MONTH.match(text.strip()):
        raise FilterError("month", f"bulan tidak sah: {text!r} (pakai YYYY-MM dengan angka 0-9, "
                                   f"antara {FIRST_YEAR}-01 dan {LAST_YEAR}-12, mis. 2025-10)")
    return text.strip()


def check_filters(what: str, month: str | None = None, draft: bool | None = None,
                  as_of: date | None = None) -> dict[str, Any]:
    """The filters a user gave an export, checked the same way for the CLI and the
    downloads: ``{"month"?, "draft"?}`` with only what was given; FilterError naming the
    field when the export does not take it (a month or draft for anything but the
    payment list), when the month is not a YYYY-MM of ASCII digits in 2000..2100, or when
    both ``month`` and the older ``as_of`` (its date's month) are given."""
    if month is not None and as_of is not None:
        raise FilterError("as_of", "--month dan --as-of tidak bisa dipakai bersama: pakai --month "
                                   "YYYY-MM saja (--as-of adalah bentuk lamanya)")
    if as_of is not None:
        try:
            month = parse_month(as_of.strftime("%Y-%m"))
        except FilterError as exc:
            raise FilterError("as_of", str(exc)) from None
    filters: dict[str, Any] = {}
    if month is not None:
        if what not in MONTH_EXPORTS:
            raise FilterError("month", f"bulan hanya untuk {', '.join(sorted(MONTH_EXPORTS))}; "
                                       f"{what} tidak memakai bulan")
        filters["month"] = parse_month(month)
    if draft is not None:
        if what not in MONTH_EXPORTS:
            raise FilterError("draft", f"draf hanya untuk {', '.join(sorted(MONTH_EXPORTS))}")
        filters["draft"] = draft
    return filters


def month_label(month: str) -> str:
    """2025-10 -> Oktober 2025."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


@lru_cache(maxsize=512)
def _names(code: str) -> tuple[str, str]:
    """(kelurahan name, kecamatan name) for a kelurahan code."""
    region = kelurahan(code or "")
    if region is None:
        return "", ""
    return region.name, regions()[region.kecamatan_code].name


def _json(text: Any, default: Any) -> Any:
    if text is None or text == "":
        return default
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return default


def disability_fields(value: Any) -> tuple[str, str]:
    """(Ya/Tidak/"" when not asked, the kinds in Indonesian)."""
    data = _json(value, None)
    if not isinstance(data, dict):
        return "", ""
    if not data.get("has_disability"):
        return "Tidak", ""
    kinds = [DISABILITY_KINDS.get(k, str(k)) for k in data.get("kinds") or []]
    return "Ya", ", ".join(kinds)


def has_disability(value: Any) -> bool:
    """True when the stored disability says so."""
    data = _json(value, None)
    return isinstance(data, dict) and bool(data.get("has_disability"))


def passes_every_rule(eligibility: Any) -> bool:
    """True when the stored eligibility is a non-empty list with every rule ``pass``."""
    rules = _json(eligibility, None)
    return bool(rules) and isinstance(rules, list) and all(
        isinstance(r, dict) and r.get("result") == "pass" for r in rules)


def income_failed(eligibility: Any) -> bool:
    """True when the stored eligibility has a failing income rule."""
    rules = _json(eligibility, None) or []
    return any(isinstance(r, dict) and r.get("rule") in INCOME_RULES and r.get("result") == "fail"
               for r in rules)


def _reason_codes(reasons: list[str]) -> tuple[list[str], list[str]]:
    """(codes, texts) of stored reasons: a code keeps its Indonesian text; a
    verifier's rejection (free text) becomes the code ``verifier_rejected`` with
    the verifier's words in the text."""
    codes, texts = [], []
    for reason in reasons:
        if reason.startswith(VERIFIER_PREFIX):
            codes.append("verifier_rejected")
            texts.append(f"{REASON_TEXT['verifier_rejected']}: {reason[len(VERIFIER_PREFIX):]}")
        else:
            codes.append(reason)
            texts.append(REASON_TEXT.get(reason, reason))
    return codes, texts


def _duplicate_of(record: dict[str, Any]) -> str:
    if not record.get("duplicate_of_record"):
        return ""
    return f"{record['duplicate_of_kelurahan']}/{record['duplicate_of_record']}"


# How the registration file's summary names each hold (central.storage.reports.REGISTRATION_HOLDS).
HOLD_TEXT = {"open_finding": "dengan temuan terbuka",
             "open_pair": "dalam pasangan kemungkinan ganda yang belum diputus"}


def claim_needs_newer_list(claimed_at: str | None, list_at: str | None) -> bool:
    """Whether a KPJ claim waits for a BPJS list imported after it arrived (none is
    loaded, or the one in force is older than the claim: it proves nothing,
    central.verification.kpj_claims_checked); a newer list has decided already (the
    record is registered, or a finding waits for a verifier)."""
    return not list_at or (claimed_at or "") >= list_at


def bpjs_list_at(db: Database) -> str | None:
    """When the BPJS list in force was imported (None: never)."""
    in_force = snapshots.in_force(db, "bpjs")
    return in_force["imported_at"] if in_force else None


def kpj_claims_held(db: Database) -> dict[str, int]:
    """The claim hold as the registration export counts it (the verification page
    shows the same): ``held_kpj_claims``, records passing every rule kept off the file
    by their kelurahan's KPJ claim, and ``kpj_claims_need_bpjs_list``, those of them
    waiting for a BPJS list imported after the claim."""
    list_at = bpjs_list_at(db)
    held = need = 0
    for r in reports.stream_claimed_candidates(db):
        if passes_every_rule(r["eligibility"]):
            held += 1
            need += claim_needs_newer_list(r["kpj_claimed_at"], list_at)
    return {"held_kpj_claims": held, "kpj_claims_need_bpjs_list": need}


def held_line(counts: dict[str, Any]) -> str | None:
    """The registration file's note on the records that pass every rule but wait for a
    verifier (the ``held_*`` counts :func:`export` adds to its filters), or None when
    none waits: ``3 data lolos semua aturan tetapi belum masuk berkas ini, menunggu
    keputusan verifikator: 1 dengan temuan terbuka, 2 dalam pasangan ...``."""
    total = int(counts.get("held_for_verifier") or 0)
    if not total:
        return None
    parts = [f"{counts[f'held_{name}']} {HOLD_TEXT.get(name, name)}"
             for name in reports.VERIFIER_HOLDS if counts.get(f"held_{name}")]
    return (f"{total} data lolos semua aturan tetapi belum masuk berkas ini, menunggu keputusan "
            f"verifikator: {', '.join(parts)}.")


# -- the exports --------------------------------------------------------------------

class _Builder:
    """Rows of one export as an iterator, plus what the audit needs."""

    title_lines: list[str]

    def __init__(self) -> None:
        self.title_lines = []
        self.count = 0

    def rows(self) -> Iterator[dict[str, Any]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def finished(self, db: Database, at: str) -> None:
        """After the file is complete, in the audit's transaction."""


class Registration(_Builder):
    """The BPJS registration file."""

    def __init__(self, db: Database, calculator: Calculator) -> None:
        super().__init__()
        self.db, self.calculator = db, calculator
        self.central_ids: list[int] = []
        # records that pass every rule but are held: per hold (a record may be in
        # several), those waiting for a verifier, claims waiting for a newer BPJS list
        self.held_records = 0
        self.held: Counter[str] = Counter()
        self.claims_need_list = 0
        self.list_at = bpjs_list_at(db)

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_registration_candidates(self.db):
            if not passes_every_rule(r["eligibility"]):
                continue
            holds = [name for name in reports.REGISTRATION_HOLDS if r[f"held_{name}"]]
            if holds:  # off this file for now; counted for the summary
                self.held.update(holds)
                if any(name in reports.VERIFIER_HOLDS for name in holds):
                    self.held_records += 1
                if "kpj_claims" in holds:
                    self.claims_need_list += claim_needs_newer_list(r["kpj_claimed_at"],
                                                                    self.list_at)
                continue
            kel, kec = _names(r["kelurahan_code"])
            disabled, kinds = disability_fields(r["disability"])
            jht = bool(r["jht"]) or r["jht_from"] is not None  # flagged, or on the JHT list
            income = r["monthly_income"]
            self.central_ids.append(int(r["central_id"]))
            self.count += 1
            yield {
                "nik": r["nik"], "kk_number": r["kk_number"], "full_name": r["full_name"],
                "mother_name": r["mother_name"], "birth_place": r["birth_place"],
                "birth_date": r["birth_date"], "sex": SEX.get(r["sex"], r["sex"]),
                "address": r["address"], "rt": r["rt"], "rw": r["rw"],
                "kelurahan_code": r["kelurahan_code"], "kelurahan": kel, "kecamatan": kec,
                "city": CITY, "phone": r["phone"], "occupation": r["occupation"],
                "work_category": r["work_category"], "monthly_income": income,
                "band_base": self.calculator(income, jht=jht).base,
                "heir_name": r["heir_name"], "heir_relation": r["heir_relation"],
                "heir_phone": r["heir_phone"], "disability": disabled, "disability_kinds": kinds,
                "program": "JKK+JKM+JHT" if jht else "JKK+JKM", "payer": self.calculator.payer,
            }

    def finished(self, db: Database, at: str) -> None:
        reports.mark_registration_exported(db, self.central_ids, at)

    def held_counts(self) -> dict[str, int]:
        """``held_for_verifier`` (records left off that pass every rule) and
        ``held_<hold>`` for each of :data:`central.storage.reports.REGISTRATION_HOLDS`
        (a record may be held by more than one)."""
        return {"held_for_verifier": self.held_records,
                **{f"held_{name}": self.held[name] for name in reports.REGISTRATION_HOLDS},
                "kpj_claims_need_bpjs_list": self.claims_need_list}


class PaymentList(_Builder):
    """BPKAD's monthly payment list with subtotals per kelurahan and a grand total."""

    MONEY = ("jkk", "jkm", "jht", "total")

    def __init__(self, db: Database, month: str, draft: bool, config: dict[str, Any],
                 generated_at: str) -> None:
        super().__init__()
        self.db, self.month, self.draft = db, month, draft
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
        for r in reports.stream_payable(self.db, self.month):
            if r["source"] == "new" and income_failed(r["eligibility"]):
                self.excluded_income += 1
                continue
            if r["kelurahan_code"] != current:
                if current is not None:
                    yield self._subtotal(f"SUBTOTAL {_names(current)[0]} {current}", sums, workers,
                                         left_out)
                current, sums, workers, left_out = r["kelurahan_code"], dict.fromkeys(self.MONEY, 0), 0, 0
            due = self.calculator(r["monthly_income"], jht=bool(r["jht"]))
            kel, kec = _names(r["kelurahan_code"])
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
            yield self._subtotal(f"SUBTOTAL {_names(current)[0]} {current}", sums, workers, left_out)
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


class Rejections(_Builder):
    """Rejected and duplicate records with reason codes and Indonesian reasons."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_rejections(self.db):
            codes, texts = _reason_codes([str(c) for c in _json(r["reasons"], [])])
            # a rejection code and the failed rule it came from are one failure: named
            # once, by the code, with the rule's own reason (the desil, the KPJ)
            came_from = {RULE_OF_REJECTION[c]: i for i, c in enumerate(codes) if c in RULE_OF_REJECTION}
            for rule in _json(r["eligibility"], []) or []:
                if isinstance(rule, dict) and rule.get("result") == "fail":
                    code = str(rule.get("rule"))
                    reason = str(rule.get("reason") or REASON_TEXT.get(code, code))
                    if code in came_from:
                        texts[came_from[code]] = reason
                    elif code not in codes:
                        codes.append(code)
                        texts.append(reason)
            if r["status"] == "duplicate" and not codes:
                if r.get("same_person"):
                    # another NIK: a verifier found it the same person as the record kept
                    codes, texts = ["duplicate_person"], [
                        f"Orang yang sama dengan data {_duplicate_of(r)} (keputusan verifikator)"]
                else:
                    codes, texts = ["duplicate"], [REASON_TEXT["duplicate"]]
            kel, kec = _names(r["kelurahan_code"])
            self.count += 1
            yield {"nik": r["nik"], "full_name": r["full_name"],
                   "kelurahan_code": r["kelurahan_code"], "kelurahan": kel, "kecamatan": kec,
                   "record_id": r["record_id"],
                   "status": "ditolak" if r["status"] == "rejected" else "duplikat",
                   "reason_codes": "; ".join(codes),
                   "reasons": "; ".join(t.rstrip(".") for t in texts),
                   "duplicate_of": _duplicate_of(r), "updated_at": r["updated_at"]}


class Progress(_Builder):
    """Progress per kelurahan, kecamatan and the city against targets."""

    def __init__(self, db: Database, targets_file: str | None,
                 work_categories: list[str]) -> None:
        super().__init__()
        self.db, self.targets_file, self.categories = db, targets_file, work_categories

    def rows(self) -> Iterator[dict[str, Any]]:
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for g in reports.active_groups(self.db):
            into = groups[g["kelurahan_code"]]
            n = int(g["n"])
            into["male" if g["sex"] == "L" else "female" if g["sex"] == "P" else "sex_unknown"] += n
            if has_disability(g["disability"]):
                into["disability"] += n
            category = g["work_category"] or ""
            if category in self.categories:
                into[f"work:{category}"] += n
            elif category and "Lainnya" in self.categories:
                into["work:Lainnya"] += n
        rows = progress_rules.program_progress(reports.counts_by_kelurahan(self.db),
                                               reports.cohort_by_kelurahan(self.db), groups,
                                               self.targets_file)
        none = {f"work:{c}": 0 for c in self.categories}  # a count, never a blank cell
        for row in rows:
            self.count += 1
            yield {**none, **row, "level": {"kelurahan": "Kelurahan", "kecamatan": "Kecamatan",
                                            "city": "Kota"}[row["level"]]}


class AllRecords(_Builder):
    """One row per record held at central with its central status."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_records(self.db):
            disabled, kinds = disability_fields(r["disability"])
            rules = _json(r["eligibility"], None)
            if isinstance(rules, list):
                verdict = ("lolos semua" if passes_every_rule(rules) else "; ".join(
                    f"{x.get('rule')}: {x.get('result')}" for x in rules
                    if isinstance(x, dict) and x.get("result") != "pass"))
            else:
                verdict = "belum dinilai"
            self.count += 1
            yield {
                "central_id": r["central_id"], "kelurahan_code": r["kelurahan_code"],
                "record_id": r["record_id"], "nik": r["nik"], "kk_number": r["kk_number"],
                "full_name": r["full_name"], "birth_date": r["birth_date"], "sex": r["sex"],
                "monthly_income": r["monthly_income"], "work_category": r["work_category"],
                "disability": disabled, "disability_kinds": kinds,
                "jht": ("Ya" if r["jht"] else f"Ya, sejak {r['jht_from']}" if r["jht_from"]
                        else "Tidak"), "status": r["status"],
                "eligibility": verdict, "reasons": ";".join(str(x) for x in _json(r["reasons"], [])),
                "duplicate_of": _duplicate_of(r), "kpj_number": r["kpj_number"],
                "registration_exported_at": r["registration_exported_at"],
                "coverage_start": r["coverage_start"], "received_at": r["received_at"],
                "updated_at": r["updated_at"],
            }


# -- the service --------------------------------------------------------------------

def export(db: Database, what: str, fmt: str, output: Path | IO[bytes] | None,
           actor: str | None = None, *, month: str | None = None, draft: bool = False,
           as_of: date | None = None, contributions_file: str | None = None,
           targets_file: str | None = None, columns_file: str | None = None,
           work_categories: list[str] | None = None, marks: bool = True) -> ExportResult:
    """Build one export, write it (a path: atomically; a binary stream: copied after it
    is complete; None: returned in ``content``), and audit it (who, what, filters, row
    count, SHA-256). ExportError (PaymentListRefused) for what the user must change.

    ``month`` (YYYY-MM) is the payment list's month; ``as_of`` (a date) is accepted
    for the older ``--as-of`` and means its month. ``marks`` False: a registration
    file that does not mark its records as put on a file (an auditor's download
    reads, it never changes what the recheck decides by)."""
    if what not in WHATS:
        raise ExportError(f"--what tidak dikenal: {what} (pilih dari: {', '.join(WHATS)})")
    if fmt not in ("csv", "xlsx"):
        raise ExportError(f"--format tidak dikenal: {fmt} (pilih csv atau xlsx)")
    if month is None and as_of is not None:
        month = as_of.strftime("%Y-%m")
    month = parse_month(month)
    columns = load_columns(columns_file)[what]
    generated_at = utc_now()[:19].replace("T", " ")
    try:
        config = load_config(contributions_file)
        builder: _Builder
        filters: dict[str, Any] = {}
        if what == "bpjs-registration":
            blocked = restores.registration_blocked(db)
            if blocked:  # a restored central: only a newer BPJS list shows who is registered
                raise ExportError(blocked)
            year, number = (int(p) for p in month.split("-"))
            builder = Registration(db, Calculator(config, date(year, number, 1)))
        elif what == "payment-list":
            builder = PaymentList(db, month, draft, config, generated_at)
            filters = {"month": month, "draft": draft}
        elif what == "rejections":
            builder = Rejections(db)
        elif what == "progress":
            builder = Progress(db, targets_file, list(work_categories or []))
            columns = columns + [Column(f"work:{c}", f"PEKERJAAN: {c}", "number")
                                 for c in work_categories or []]
        else:
            builder = AllRecords(db)
        written = write_export(fmt, columns, builder.rows(), output,
                               title_lines=builder.title_lines, sheet_title=SHEET_TITLES[what])
    except ContributionConfigError as exc:
        raise ExportError(str(exc)) from exc
    where = (str(output) if isinstance(output, (str, Path))
             else "stdout" if output is not None else "unduhan")
    at = utc_now()
    if what == "bpjs-registration" and not marks:
        filters["marks"] = False
    with db.transaction():
        if marks:
            builder.finished(db, at)
        reports.add_export_audit(db, at, actor or getpass.getuser(), what, fmt, builder.count,
                                 where, written.sha256, json.dumps(filters, sort_keys=True))
    if isinstance(builder, Registration):
        filters.update(builder.held_counts())
    if isinstance(builder, PaymentList):
        filters["excluded_income_failed"] = builder.excluded_income
        if builder.unconfirmed_rows:
            filters["unconfirmed_rows"] = builder.unconfirmed_rows
    return ExportResult(what, fmt, builder.count, written.sha256, written.size, where, filters,
                        written.content)


__all__ = [
    "DRAFT_WATERMARK",
    "WHATS",
    "ExportError",
    "ExportResult",
    "FilterError",
    "PaymentListRefused",
    "check_filters",
    "export",
    "held_line",
    "load_columns",
    "parse_month",
    "rupiah",
]
