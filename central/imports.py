"""Importing the DTSEN extract and the BPJS participant list (CSV with a header).

Column names are matched case-insensitively, spaces and dashes read as ``_``,
and the Indonesian names are accepted (design.md "Central registry"). Comma,
semicolon or tab separated (Indonesian Excel writes ``;``). Bad rows go to a
rejects CSV (the row as read + ``alasan``); the good rows replace the previous
snapshot in one transaction, and records already held are re-checked against it.
"""

from __future__ import annotations

import csv
import getpass
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from central import verification
from central.storage import records as record_store
from central.storage import snapshots
from central.storage.db import Database, utc_now

DTSEN_COLUMNS = {
    "nik": ("nik", "nomor_induk_kependudukan"),
    "kk_number": ("kk_number", "no_kk", "nomor_kartu_keluarga"),
    "full_name": ("full_name", "nama"),
    "birth_date": ("birth_date", "tgl_lahir", "tanggal_lahir"),
    "kelurahan_code": ("kelurahan_code", "kode_kelurahan"),
    "desil": ("desil", "desil_nasional"),
}
BPJS_COLUMNS = {
    "nik": ("nik", "nomor_induk_kependudukan"),
    "kpj_number": ("kpj_number", "no_kpj", "nomor_kpj"),
    "program": ("program",),
    "status": ("status", "status_kepesertaan"),
}
REQUIRED = {"dtsen": ("nik", "desil"), "bpjs-participants": ("nik",)}


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, required column missing)."""


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").casefold())


def map_header(header: list[str], columns: dict[str, tuple[str, ...]], kind: str) -> dict[str, int]:
    """{field: column index} for the columns found; ImportFileError when a required one is missing."""
    positions = {_key(h): i for i, h in enumerate(header)}
    found = {}
    for field, names in columns.items():
        for name in names:
            if name in positions:
                found[field] = positions[name]
                break
    missing = [f for f in REQUIRED[kind] if f not in found]
    if missing:
        raise ImportFileError(f"kolom wajib tidak ada: {', '.join(missing)} "
                              f"(kolom terbaca: {', '.join(header)})")
    return found


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file, separator sniffed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({exc})") from exc
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ImportFileError(f"berkas kosong: {path}")
    return rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]


def clean_nik(raw: str) -> tuple[str | None, str | None]:
    """(nik, None) or (None, reason). Spreadsheet damage is never repaired."""
    text = raw.strip().replace(" ", "")
    if re.search(r"[eE][+-]?\d+$", text) or text.endswith(".0"):
        return None, "nik_damaged_by_spreadsheet"
    if not re.fullmatch(r"\d{16}", text):
        return None, "nik_invalid"
    return text, None


def clean_date(raw: str) -> str | None:
    """YYYY-MM-DD from ISO or DD-MM-YYYY / DD/MM/YYYY; None when unreadable."""
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _dtsen_row(cells: dict[str, str]) -> tuple[tuple | None, str | None]:
    nik, reason = clean_nik(cells.get("nik", ""))
    if reason:
        return None, reason
    desil = cells.get("desil", "").strip()
    if not desil.isdigit() or not 1 <= int(desil) <= 10:
        return None, "desil_invalid"
    birth = cells.get("birth_date", "").strip()
    birth_date = clean_date(birth) if birth else None
    if birth and birth_date is None:
        return None, "birth_date_invalid"
    return (nik, cells.get("kk_number", "").strip() or None, cells.get("full_name", "").strip() or None,
            birth_date, cells.get("kelurahan_code", "").strip() or None, int(desil)), None


def _bpjs_row(cells: dict[str, str]) -> tuple[tuple | None, str | None]:
    nik, reason = clean_nik(cells.get("nik", ""))
    if reason:
        return None, reason
    kpj = cells.get("kpj_number", "").strip()
    if kpj and not re.fullmatch(r"[0-9A-Za-z]{6,20}", kpj):
        return None, "kpj_invalid"
    return (nik, kpj or None, cells.get("program", "").strip() or None,
            cells.get("status", "").strip() or None), None


def parse_file(path: Path, kind: str) -> tuple[list[tuple], list[tuple[list[str], str]], list[str]]:
    """(good rows, [(bad row, reason)], header)."""
    header, rows = read_rows(path)
    columns = DTSEN_COLUMNS if kind == "dtsen" else BPJS_COLUMNS
    found = map_header(header, columns, kind)
    convert = _dtsen_row if kind == "dtsen" else _bpjs_row
    good, bad, seen = [], [], set()
    for row in rows:
        cells = {field: row[i] if i < len(row) else "" for field, i in found.items()}
        parsed, reason = convert(cells)
        if parsed is not None and parsed[0] in seen:
            parsed, reason = None, "duplicate_nik_in_file"
        if parsed is None:
            bad.append((row, reason or "invalid"))
        else:
            seen.add(parsed[0])
            good.append(parsed)
    return good, bad, header


def write_rejects(folder: Path, kind: str, header: list[str], bad: list[tuple[list[str], str]]) -> Path:
    """The rejected rows as read, plus the reason, in ``imports/`` of the data folder."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"{kind}-{stamp}-rejects.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*header, "alasan"])
        for row, reason in bad:
            writer.writerow([*row, reason])
    return path


def import_file(db: Database, path: Path, kind: str, data_dir: Path, max_desil: int) -> dict[str, Any]:
    """Import one file; ``{"read", "accepted", "rejected", "rejects_file", "rechecked"}``."""
    good, bad, header = parse_file(path, kind)
    rejects = write_rejects(data_dir / "imports", kind, header, bad)
    summary = {"read": len(good) + len(bad), "accepted": len(good), "rejected": len(bad),
               "rejects_file": str(rejects)}
    with db.transaction():
        db.lock_ingest()  # re-check writes updates: keep the cursor order (see ingest)
        if kind == "dtsen":
            snapshots.replace_dtsen(db, good)
        else:
            snapshots.replace_bpjs(db, good)
        snapshots.add_import(db, {**summary, "kind": "dtsen" if kind == "dtsen" else "bpjs",
                                  "file_name": path.name, "imported_at": utc_now(),
                                  "imported_by": getpass.getuser()})
        summary["rechecked"] = recheck(db, kind, max_desil)
        if kind == "dtsen":  # identity findings against the new snapshot (not a rule)
            verification.check_dtsen(db)
    return summary


def recheck(db: Database, kind: str, max_desil: int) -> int:
    """Apply the new snapshot to records already held; the number changed.
    DTSEN: accepted records above the desil cut-off become ``rejected``. BPJS:
    active records whose NIK has a KPJ become ``registered`` with it."""
    now = utc_now()
    updates = []
    if kind == "dtsen":
        for row in snapshots.accepted_with_desil_above(db, max_desil):
            reasons = ["dtsen_desil_above_cutoff"]
            snapshots.set_status(db, row["central_id"], "rejected", now, reasons=reasons)
            updates.append({"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"],
                            "kind": "rejected", "central_status": "rejected", "reasons": reasons,
                            "desil": int(row["desil"])})
    else:
        for row in snapshots.active_in_bpjs(db):
            snapshots.set_status(db, row["central_id"], "registered", now, kpj_number=row["kpj_number"])
            updates.append({"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"],
                            "kind": "registered", "central_status": "registered",
                            "kpj_number": row["kpj_number"]})
    record_store.add_updates(db, updates, now)
    return len(updates)

