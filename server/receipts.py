"""Receipts (tanda terima) for the worker, and the status lookup behind them.

A receipt holds the enrollment id, the date, the enumerator, a masked NIK (the
first 4 and last 2 digits) and a QR code of the id; never the full NIK, the KK or
the address. The lookup takes the id and the birth date: a wrong birth date is
answered exactly like an unknown id (same status, same body), so the lookup tells
nothing about whether an id exists; lookups are limited per address per hour.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io

import segno

from berjasa import reference
from server.storage import receipts as store

STATUS_TEXT = {
    "submitted": "Diterima kelurahan, menunggu pemeriksaan pengawas",
    "needs_fix": "Perlu perbaikan: petugas akan menghubungi Anda",
    "approved": "Disetujui kelurahan, menunggu dikirim ke kota",
    "synced": "Sudah dikirim ke kota",
    "registered": "Terdaftar di BPJS Ketenagakerjaan",
    "rejected": "Tidak diterima (tanyakan alasannya di kantor kelurahan)",
    "central_rejected": "Tidak diterima di kota (tanyakan alasannya di kantor kelurahan)",
}
# What the city's registry decided, once it has (the record's central_status).
CENTRAL_STATUS_TEXT = {
    "accepted": "Diterima di kota, menunggu didaftarkan ke BPJS Ketenagakerjaan",
    "registered": STATUS_TEXT["registered"],
    "rejected": STATUS_TEXT["central_rejected"],
    "duplicate": "Sudah tercatat di kota lewat data lain (tanyakan di kantor kelurahan)",
    "sent_back": STATUS_TEXT["needs_fix"],
}


def status_text(status: str, central_status: str | None) -> str:
    """A record's state in the worker's words: central's decision once there is
    one, else the kelurahan's status (never a bare code)."""
    if central_status in CENTRAL_STATUS_TEXT:
        return CENTRAL_STATUS_TEXT[central_status]
    return STATUS_TEXT.get(status, "Sedang diproses (tanyakan di kantor kelurahan)")


class TooManyLookups(Exception):
    """More lookups from one address than ``receipt_lookups_per_hour``."""


def mask_nik(nik: str) -> str:
    """"7371015203800001" -> "7371 •••• •••• ••01"."""
    nik = nik or ""
    return f"{nik[:4]} •••• •••• ••{nik[-2:]}" if len(nik) == 16 else "•" * 16


def qr_svg(text: str) -> str:
    """An inline SVG QR code (error correction M) of ``text``."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                                 svgns=True, title="QR kode pendaftaran")
    return out.getvalue().decode("utf-8")


def receipt(conn, enrollment_id: str) -> dict | None:
    """What the printable receipt shows, or None for an unknown id."""
    row = store.receipt_row(conn, enrollment_id)
    if row is None:
        return None
    region = reference.kelurahan(row["kelurahan_code"] or "")
    return {
        "id": row["id"], "nik_masked": mask_nik(row["nik"]), "full_name": row["full_name"],
        "enumerator": row["enumerator"], "captured_at": row["captured_at"],
        "received_at": row["received_at"],
        "kelurahan": region.name if region else row["kelurahan_code"],
        "status": status_text(row["status"], row["central_status"]),
        "qr_svg": qr_svg(row["id"]),
    }


def lookup(conn, settings: dict, address: str, enrollment_id: str, birth_date: str) -> dict | None:
    """The status for a matching id + birth date, else None (unknown id and wrong date alike)."""
    now = dt.datetime.now(dt.timezone.utc)
    since = (now - dt.timedelta(hours=1)).isoformat(timespec="seconds")
    if store.lookups_since(conn, address, since) >= int(settings["receipt_lookups_per_hour"]):
        raise TooManyLookups()
    store.add_lookup(conn, address, now.isoformat(timespec="seconds"))
    row = store.receipt_row(conn, enrollment_id[:64])
    stored = (row or {}).get("birth_date") or "0000-00-00"
    if not hmac.compare_digest(stored.encode(), (birth_date or "")[:10].encode()) or row is None:
        return None
    status = row["central_status"] or row["status"]
    return {"id": row["id"], "status": status,
            "status_text": status_text(row["status"], row["central_status"])}
