"""Central's exports for BPJS, BPKAD and Disnaker, as CSV or XLSX; each one audited.

One service, :func:`export`, for the CLI and the dashboard's downloads:
``export(db, what, fmt, output, actor, **filters) -> ExportResult`` (rows, SHA-256).

- ``bpjs-registration``: one row per record that passes EVERY stored rule (none
  failing, none unknown) and that BPJS does not list yet (status accepted, no KPJ,
  not an active participant in the loaded list, not in the 2024 cohort); see
  :func:`central.storage.reports.registration_exclusions` for the one place to add
  conditions, and ``REGISTRATION_HOLDS`` there for what keeps a record off until a
  verifier decides (an open finding; an open likely-duplicate pair, both its records).
  The result's filters count the records held (:func:`central.export_bpjs.held_line`
  says it in words), and ``held_kpj_claims`` the records kept off until the BPJS list
  is imported (a kelurahan's KPJ claim). Records put on a file get
  ``registration_exported_at`` (first time only).
- ``payment-list``: BPKAD's list for one month: the 2024 cohort and the registered
  new workers whose coverage started by then, with band, JKK, JKM, JHT and total per
  row, a subtotal row per kelurahan and a grand total, under header lines (month,
  legal basis, payer, generation time). A registered worker whose stored income rule
  failed is not billed. Who the list leaves out for its month (an open finding, per
  kind; a failed income rule; refused cohort rows) is counted in the result's filters
  and said in a header line (:mod:`central.holds`). Refused while any row uses an unconfirmed band or rate,
  unless ``draft`` (then the first line is the watermark
  :data:`central.export_bpkad.DRAFT_WATERMARK`, and such rows stay out of the
  subtotals and the total: their placeholder sums are a row of their own, never
  summed as if real).
- ``rejections``: records central rejected or holds as duplicates, with reason codes
  and Indonesian reasons.
- ``progress``: per kelurahan and kecamatan against targets, the 2024 cohort and the
  new workers apart, counts by sex, disability and work category; a city row.
- ``all``: one row per record held at central with its central status.

This module checks the filters, loads the columns and writes and audits the file;
each file's rows are built by :mod:`central.export_bpjs`, :mod:`central.export_bpkad` or
:mod:`central.export_disnaker`.

Columns are defined once, in central/data/export_columns.json (or the file the
``central_export_columns_file`` setting names), so a branch office's template can
replace them. Every file goes through :mod:`berjasa.spreadsheet` (formula-safe,
identifiers as text, atomic, hashed).
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import IO, Any

from berjasa import local_time
from berjasa.spreadsheet import KINDS, Column, write_export
from central import restores
from central.contributions import Calculator, ContributionConfigError, load_config
from central.export_bpjs import Registration
from central.export_bpkad import PaymentList
from central.export_disnaker import AllRecords, Progress, Rejections
from central.export_fields import Builder, ExportError
from central.storage import reports
from central.storage.db import Database, utc_now

WHATS = ("bpjs-registration", "payment-list", "rejections", "progress", "all")
SHEET_TITLES = {"bpjs-registration": "Pendaftaran BPJS", "payment-list": "Daftar Pembayaran",
                "rejections": "Penolakan", "progress": "Capaian", "all": "Semua Data"}
# The months an export takes from a user (CLI --month/--as-of, the download's ``month``):
# YYYY-MM in ASCII digits (``\d`` would take "2026-1\u0661" or full-width digits and
# label a list with a month it is not for), 2000-01 to 2100-12. central.schemas shows
# the same pattern in /openapi.json.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH_PATTERN = r"^(20[0-9][0-9]|2100)-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN, re.ASCII)
# The exports that take a month and a draft (the others refuse both).
MONTH_EXPORTS = frozenset({"payment-list"})


class FilterError(ExportError):
    """A filter an export does not take or cannot read; ``field`` names it (``month``,
    ``draft``, ``as_of``) so the CLI names its option and a download its parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
    # the records a registration file put on a file, as the trail's record targets
    # ((KELURAHAN/RECORD_ID, outcome)); None when the export marks none
    targets: list[tuple[str, str]] | None = None
    # header lines of the file the command says on stderr too (a final payment list
    # made again for its month: central.export_bpkad.reissue_line)
    notes: list[str] = field(default_factory=list)

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


# -- the service --------------------------------------------------------------------

def export(db: Database, what: str, fmt: str, output: Path | IO[bytes] | None,
           actor: str | None = None, *, month: str | None = None, draft: bool = False,
           as_of: date | None = None, contributions_file: str | None = None,
           targets_file: str | None = None, columns_file: str | None = None,
           work_categories: list[str] | None = None, marks: bool = True,
           record: Callable[[ExportResult], Any] | None = None,
           settings: dict[str, Any] | None = None) -> ExportResult:
    """Build one export, write it (a path: atomically; a binary stream: copied after it
    is complete; None: returned in ``content``), and audit it (who, what, filters, row
    count, SHA-256). ExportError (PaymentListRefused) for what the user must change.

    ``month`` (YYYY-MM) is the payment list's month; ``as_of`` (a date) is accepted
    for the older ``--as-of`` and means its month. ``marks`` False: a registration
    file that does not mark its records as put on a file (an auditor's download
    reads, it never changes what the recheck decides by). ``record``: writes the
    export's trail entry (``central.downloads.record``) in the transaction that marks
    the records and writes ``export_audit``, so a registration file never marks a
    record without the entry naming it (an entry that fails rolls the marks back).
    ``settings``: central's settings, for the eligibility parameters the payment list
    reads (the BPU age limits of its month)."""
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
        builder: Builder
        filters: dict[str, Any] = {}
        if what == "bpjs-registration":
            blocked = restores.registration_blocked(db)
            if blocked:  # a restored central: only a newer BPJS list shows who is registered
                raise ExportError(blocked)
            year, number = (int(p) for p in month.split("-"))
            builder = Registration(db, Calculator(config, date(year, number, 1)))
        elif what == "payment-list":
            builder = PaymentList(db, month, draft, config, generated_at, settings)
            filters = {"month": month, "draft": draft}
        elif what == "rejections":
            builder = Rejections(db)
        elif what == "progress":
            builder = Progress(db, targets_file, list(work_categories or []))
            columns = columns + [Column(key, header, "number")
                                 for key, header in builder.work_columns()]
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
    audited = json.dumps(filters, sort_keys=True)  # the user's filters only (export_audit)
    if isinstance(builder, Registration):
        filters.update(builder.held_counts())
    if isinstance(builder, PaymentList):
        # who the list leaves out (central.holds), the income count as the rows met it
        filters.update(builder.left_out)
        filters["excluded_income_failed"] = builder.excluded_income
        filters["earlier_final_lists"] = len(builder.earlier)
        if builder.unconfirmed_rows:
            filters["unconfirmed_rows"] = builder.unconfirmed_rows
    targets = builder.targets if isinstance(builder, Registration) and marks else None
    result = ExportResult(what, fmt, builder.count, written.sha256, written.size, where, filters,
                          written.content, targets,
                          [builder.reissue] if isinstance(builder, PaymentList) and builder.reissue
                          else [])
    with db.transaction():
        if marks:
            builder.finished(db, at)
        reports.add_export_audit(db, at, actor or getpass.getuser(), what, fmt, builder.count,
                                 where, written.sha256, audited)
        if record is not None:
            record(result)
    return result
