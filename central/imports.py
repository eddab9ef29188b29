"""Importing the DTSEN extract, the BPJS participant list, the 2024 cohort and the
JHT list (whose JHT the city pays, from which month).

Files are what Excel saves (design.md "Central office (round 2)"): UTF-8 with or
without BOM, else Windows-1252 (decided by one streaming pass that checks the
bytes are valid UTF-8), and UTF-16 with its BOM (Excel's "Unicode Text"), ``,``
``;`` or tab (sniffed from the header); or the workbook itself (XLSX, the sheet
holding the list, read streaming by openpyxl once the zip and its XML passed
:mod:`central.import_archive`;
:mod:`central.import_workbook`: formulas without their result and merged cells in a
column read refuse the file): a cell is read as the text a CSV would hold
(:func:`central.import_workbook.xlsx_text`), and a NIK, KK or KPJ typed as a number of
16 digits is refused as damaged (Excel keeps 15 significant digits, so such a number has
already lost its last one). A NIK, KK or KPJ column whose last digits Excel zeroed refuses
the whole file (:mod:`central.import_patterns`). The old XLS format is
refused with how to save it. Column names are matched by :mod:`central.import_columns`
(case, punctuation and spacing ignored, Indonesian names and abbreviations too), and
the header cells no field takes are listed in the summary; an apostrophe before
NIK/KK/KPJ removed; spaces trimmed. The csv reader is strict, and a record running
over more than one line (an unclosed quote) is a whole-file error naming its line.

A row whose cells do not line up with the header's columns is refused
(``wrong_cell_count``): a value holding the separator unquoted (``JKK;JKM``) shifts the
cells after it, so the status read would be another column's, and a short row would
read its missing status as empty, which counts as active. Empty cells after the last
column (Excel's ``;;;``) are not cells; a wholly empty row is skipped.

The file is read streaming: a csv reader over a text stream, good rows inserted in
batches (``COPY`` on PostgreSQL), rejected rows written to the rejects file as they
come (the row as read + ``alasan`` + ``kolom`` + ``keterangan`` + ``baris``; in the format
of the file imported, :class:`central.import_rows.Rejects`). Memory grows
only with the set of NIKs seen (duplicate check: one int per row).

All in one transaction: the old snapshot is deleted, the new rows inserted, the
records held re-evaluated (``central.recheck``). When no row is accepted, or more
rows are rejected than accepted without ``force``, or the file is much shorter than
the list in force (``SHRINK_LIMIT``), the transaction is rolled back: nothing already
held changes, and :class:`ImportRefused` says why in one line. The rejects file is
kept in two cases only: an import that succeeded (its header alone when no row was
rejected, since the answer names it), and a refused one that rejected rows (its
message names the file). A refusal without a rejected row, and a file that cannot be
imported at all (:class:`ImportFileError`: its rows mean nothing), leave none.
Each import that replaces a snapshot is a row of ``imports``; its id is the
snapshot id the rows and the eligibility decisions carry.

A refused row of the DTSEN extract, the BPJS list or the cohort whose NIK cell is
still a valid NIK (:func:`readable_nik`) is remembered with the snapshot
(``unreadable_rows``: NIK, line, code, column): the rules reading that snapshot answer
``unknown`` for the NIK until a corrected file replaces it, since the row's absence
would otherwise pass "not yet a participant" or drop the DTSEN alternative.

This module holds the import itself (one transaction, its refusals); the parts it
runs are :mod:`central.import_reading` (the file: encoding, separator, header),
:mod:`central.import_workbook` (a workbook: its sheet, cells read empty),
:mod:`central.import_rows` (a row: cell count, control characters, each source's row, the
rejects file and the unreadable rows), :mod:`central.import_cells` (a cell: the cleaners
and the reason codes) and :mod:`central.import_patterns` (what only the whole file shows:
a zeroed identifier column, the unknown values).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from berjasa import local_time
from central import findings
from central import recheck as rechecking
from central.import_cells import RowRejected
from central.import_patterns import IdentifierEndings, UnknownValues, describe_unknown
from central.import_reading import (
    XLSX,
    ImportFileError,
    Reading,
    import_max_bytes,
    map_header,
    open_file,
    unused_columns,
)
from central.import_rows import (
    CONVERT,
    Rejects,
    UnreadableRows,
    header_width,
    refuse_control_characters,
    wrong_cell_count,
)
from central.storage import snapshots
from central.storage.db import Database, utc_now
from central.waiting import judge_waiting

KINDS = ("dtsen", "bpjs-participants", "cohort", "jht")
SNAPSHOT_KIND = {"dtsen": "dtsen", "bpjs-participants": "bpjs", "cohort": "cohort", "jht": "jht"}
BATCH_ROWS = 10_000
# A new file with fewer accepted rows than this share of the snapshot in force is
# refused without --force: a partial DTSEN or BPJS list would quietly accept again
# the records its missing rows had rejected (and a partial cohort drops people from
# the payment list). The program's lists grow; a real shrink this large is rare.
SHRINK_LIMIT = 0.5


class ImportRefused(ValueError):
    """The file was read but replaces nothing (nothing accepted, or --force needed)."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


def import_file(db: Database, path: Path, kind: str, data_dir: Path,
                settings: dict[str, Any] | int | None = None, *, force: bool = False,
                progress: Callable[[int, int], None] | None = None,
                today: date | None = None, imported_by: str | None = None) -> dict[str, Any]:
    """Import one file. Returns ``{"read", "accepted", "rejected", "rejects_file" (its
    header alone when no row was rejected), "snapshot_id", "rechecked", "unused_columns"}``
    (the header cells no field took, as the file names them); raises ImportFileError
    (file unusable; no rejects file left) or ImportRefused (nothing replaced; its message
    and ``summary["rejects_file"]`` name the rejects file when a row was rejected, else
    that is None and no file is left). ``progress(bytes_read, size)`` is called after
    each batch. ``imported_by``: who, for the ``imports`` row (the command's ``cli:NAME``;
    default the operating system's account)."""
    if kind not in KINDS:
        raise ImportFileError(f"jenis impor tidak dikenal: {kind} (pilih {', '.join(KINDS)})")
    settings = rechecking.as_settings(settings)
    reading, stream = open_file(path, kind, import_max_bytes(settings))
    try:
        found = map_header(reading.header, kind)
        rejects = Rejects(data_dir / "imports", kind, reading, found)
        try:
            summary = _load(db, path, kind, reading, found, rejects, settings, force, progress, today,
                            imported_by or getpass.getuser())
        except ImportRefused as refused:
            if not refused.summary["rejected"]:  # no row to show: no file (the message names none)
                rejects.discard()
            else:
                rejects.finish()
            raise
        except BaseException:  # the file is unusable (or the import failed): its rows mean nothing
            rejects.discard()
            raise
        finally:
            rejects.close()
        summary["unused_columns"] = unused_columns(reading.header, kind)
        summary["sheet"], summary["sheets_not_read"] = reading.sheet, reading.sheets_not_read
        return summary
    finally:
        stream.close()


def _load(db: Database, path: Path, kind: str, reading: Reading, found: dict[str, int],
          rejects: Rejects, settings: dict[str, Any], force: bool,
          progress: Callable[[int, int], None] | None, today: date | None,
          imported_by: str) -> dict[str, Any]:
    convert = CONVERT[kind]
    read = accepted = 0
    summary: dict[str, Any] = {}
    with db.transaction():
        db.lock_ingest()  # the recheck writes updates: keep the cursor order (see ingest)
        before = snapshots.in_force(db, SNAPSHOT_KIND[kind])
        snapshot_id = snapshots.start_import(db, SNAPSHOT_KIND[kind], path.name, None,
                                             utc_now(), imported_by)
        snapshots.clear(db, SNAPSHOT_KIND[kind])
        seen: set[int] = set()
        batch: list[tuple] = []
        width = header_width(reading.header)
        workbook = reading.encoding == XLSX
        unreadable = UnreadableRows(SNAPSHOT_KIND[kind], snapshot_id, found.get("nik"))
        numbered = SNAPSHOT_KIND[kind] in snapshots.NUMBERED  # rows keep their line
        endings = IdentifierEndings(kind, rejects.labels)
        unknown = UnknownValues()
        for line, row in reading.rows:
            if not "".join(row).strip():
                continue
            read += 1
            if len(row) != width:
                wrong = wrong_cell_count(row, reading.header, width, line, workbook)
                if wrong:
                    rejects.add(line, row, "wrong_cell_count", *wrong)
                    unreadable.add(row, line, "wrong_cell_count", wrong[0], seen)
                    continue
                row = (row + [""] * width)[:width]
            cells = {field: row[index] for field, index in found.items()}
            try:
                refuse_control_characters(cells)
                values = convert(cells, snapshot_id)
            except RowRejected as refused:
                rejects.add(line, row, refused.code, refused.column, refused.detail)
                unreadable.add(row, line, refused.code, rejects.label(refused.column), seen)
                if refused.value is not None:
                    unknown.add(rejects.label(refused.column), refused.value)
                continue
            key = int(values[0])
            if key in seen:
                rejects.add(line, row, "duplicate_nik_in_file", "nik")
                continue
            seen.add(key)
            batch.append((*values, line) if numbered else values)
            accepted += 1
            if len(batch) >= BATCH_ROWS:
                endings.add_batch(batch)
                snapshots.insert(db, SNAPSHOT_KIND[kind], batch)
                batch = []
                unreadable.flush(db)
                if progress:
                    progress(reading.counter.count, reading.size)
        endings.add_batch(batch)
        snapshots.insert(db, SNAPSHOT_KIND[kind], batch)
        unreadable.flush(db)
        if progress:
            progress(reading.size, reading.size)
        rejected = read - accepted
        if read == 0:
            raise ImportFileError(f"berkas hanya berisi baris judul, tidak ada data: {path.name}")
        endings.check(path.name)  # a column Excel cut to 15 digits: the whole file is refused
        # a refused import names its rejects file when a row was rejected, else leaves none
        summary = {"read": read, "accepted": accepted, "rejected": rejected,
                   "rejects_file": str(rejects.path) if rejected else None, "snapshot_id": snapshot_id,
                   "unknown_values": unknown.summary()}
        # the values no row could be read with, named in a refusal's one line too
        named = f"; nilai tidak dikenal: {describe_unknown(summary['unknown_values'])}" if unknown.columns else ""
        if accepted == 0:
            raise ImportRefused(f"tidak ada baris yang diterima ({rejected} ditolak, terbanyak: "
                                f"{rejects.main_reasons()}; lihat {rejects.path}{named}); data lama "
                                f"tidak diganti", summary)
        if rejected > accepted and not force:
            raise ImportRefused(f"{rejected} baris ditolak, lebih banyak dari {accepted} yang diterima "
                                f"(terbanyak: {rejects.main_reasons()}; lihat {rejects.path}{named}); "
                                f"data lama tidak diganti: periksa berkas, atau ulangi dengan --force",
                                summary)
        if before and accepted < before["accepted"] * SHRINK_LIMIT and not force:
            summary["in_force"] = dict(before)
            shown = f" ({rejected} baris ditolak, lihat {rejects.path})" if rejected else ""
            raise ImportRefused(
                f"berkas ini hanya {accepted} baris diterima{shown}, kurang dari separuh impor yang "
                f"berlaku ({before['accepted']} baris dari {before['file_name']}, "
                f"{local_time.wita(before['imported_at'])}); berkas sebagian akan membuat data "
                f"yang ditolak karena isi impor lama diterima lagi. Data lama tidak diganti: "
                f"periksa berkas, atau ulangi dengan --force bila berkas ini memang lengkap",
                summary)
        summary["rejects_file"] = rejects.written()  # design.md: PATH, its header alone if none
        # refused rows whose NIK could be read, and how many of those NIKs central holds a
        # record of (its rules reading this snapshot are unknown until a corrected import)
        summary["unreadable"] = unreadable.count
        summary["unreadable_held"] = (snapshots.unreadable_held(db, snapshot_id)
                                      if unreadable.count else 0)
        snapshots.finish_import(db, snapshot_id, read, accepted, rejected, reading.counter.sha.hexdigest(),
                                summary["rejects_file"])
        summary["rechecked"] = rechecking.recheck(db, settings, today=today,
                                                  import_month=(today or local_time.today()).strftime("%Y-%m"))
        # a holder the new list rejects lets go of its NIK (central/waiting.py)
        summary["rechecked"]["changed"] += judge_waiting(db, settings)["judged"]
        if kind == "dtsen":  # identity findings against the new snapshot (not a rule)
            findings.check_dtsen(db)
        if kind == "cohort":  # a held record that looks like a cohort worker under another NIK
            summary["cohort_duplicates"] = findings.check_cohort(db)["raised"]
    return summary
