"""DTSEN and BPJS participant snapshots, imports and the re-check queries (SQL only)."""

from __future__ import annotations

import json
from typing import Any

from central.storage.db import Database


def lookup(db: Database, niks: list[str]) -> dict[str, Any]:
    """Snapshot rows for these NIKs and whether each snapshot is loaded at all."""
    loaded = {r["kind"] for r in db.query("SELECT DISTINCT kind FROM imports"
                                          " WHERE kind IN ('dtsen', 'bpjs')")}
    out: dict[str, Any] = {"dtsen": {}, "bpjs": {}}
    for kind, table in (("dtsen", "dtsen"), ("bpjs", "bpjs_participants")):
        out[f"{kind}_loaded"] = kind in loaded
        if niks and kind in loaded:
            among, params = db.in_list("nik", niks)
            rows = db.query(f"SELECT * FROM {table} WHERE {among}", params)
            out[kind] = {r["nik"]: r for r in rows}
    return out


def replace_dtsen(db: Database, rows: list[tuple]) -> None:
    """The new DTSEN snapshot replaces the old one (nik, kk, name, birth date, kelurahan, desil)."""
    db.run("DELETE FROM dtsen")
    db.many("INSERT INTO dtsen (nik, kk_number, full_name, birth_date, kelurahan_code, desil)"
            " VALUES (?, ?, ?, ?, ?, ?)", rows)


def replace_bpjs(db: Database, rows: list[tuple]) -> None:
    """The new BPJS participant list replaces the old one (nik, kpj, program, status)."""
    db.run("DELETE FROM bpjs_participants")
    db.many("INSERT INTO bpjs_participants (nik, kpj_number, program, status) VALUES (?, ?, ?, ?)",
            rows)


def add_import(db: Database, row: dict[str, Any]) -> None:
    """Record one import run."""
    db.run("INSERT INTO imports (kind, file_name, read_count, accepted, rejected, rejects_file,"
           " imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
           (row["kind"], row["file_name"], row["read"], row["accepted"], row["rejected"],
            row["rejects_file"], row["imported_at"], row["imported_by"]))


def accepted_with_desil_above(db: Database, max_desil: int) -> list[dict]:
    """Accepted records whose NIK the DTSEN snapshot places above the cut-off."""
    return db.query("SELECT r.central_id, r.kelurahan_code, r.record_id, d.desil FROM records r"
                    " JOIN dtsen d ON d.nik = r.nik WHERE r.status = 'accepted' AND d.desil > ?"
                    " ORDER BY r.central_id", (max_desil,))


def active_in_bpjs(db: Database) -> list[dict]:
    """Active records whose NIK is in the BPJS list with a KPJ not yet recorded."""
    return db.query("SELECT r.central_id, r.kelurahan_code, r.record_id, b.kpj_number, b.status"
                    " FROM records r JOIN bpjs_participants b ON b.nik = r.nik"
                    " WHERE r.status IN ('accepted', 'registered') AND b.kpj_number IS NOT NULL"
                    " AND b.kpj_number <> '' AND (r.kpj_number IS NULL OR r.kpj_number <> b.kpj_number)"
                    " ORDER BY r.central_id")


def set_status(db: Database, central_id: int, status: str, at: str, reasons: list | None = None,
               kpj_number: str | None = None) -> None:
    """Change a held record's central status (and reasons or KPJ)."""
    db.run("UPDATE records SET status = ?, reasons = COALESCE(?, reasons),"
           " kpj_number = COALESCE(?, kpj_number), updated_at = ? WHERE central_id = ?",
           (status, json.dumps(reasons) if reasons else None, kpj_number, at, central_id))
