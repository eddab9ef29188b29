"""Words and formats the pages show (Bahasa Indonesia): status names, field
labels, rule names, rupiah and WITA times. Registered as Jinja filters."""

from __future__ import annotations

import json
import re
from typing import Any

from berjasa import number_text
from berjasa.identity import national_form
from berjasa.local_time import tanggal, wita
from berjasa.record_reasons import RECORD_REASON_TEXT

STATUS_LABELS = {
    "submitted": "Menunggu pemeriksaan",
    "needs_fix": "Perlu perbaikan",
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "synced": "Terkirim ke pusat",
    "registered": "Terdaftar di BPJS",
    "central_rejected": "Ditolak pusat",
}

# as the field app's form names them (field_client/index.html)
CONSENT_METHOD_LABELS = {"signature": "tanda tangan", "thumbprint": "cap jempol", "verbal": "lisan"}

ROLE_LABELS = {"enumerator": "Petugas pendata", "supervisor": "Pengawas",
               "admin": "Admin", "auditor": "Auditor"}

RULE_LABELS = {
    "domicile": "Domisili", "occupation": "Pekerjaan", "age": "Umur",
    "council": "Kriteria DPRD (miskin/P3KE, pekerja harian, atau di bawah UMK)",
    "income": "Penghasilan", "dtsen": "DTSEN (desil)", "bpjs_membership": "Kepesertaan BPJS",
}
RESULT_LABELS = {"pass": "Memenuhi", "fail": "Peringatan", "unknown": "Belum diketahui"}

FIELD_LABELS = [
    ("nik", "NIK"), ("kk_number", "Nomor KK"), ("full_name", "Nama lengkap"),
    ("birth_place", "Tempat lahir"), ("birth_date", "Tanggal lahir"), ("sex", "Jenis kelamin"),
    ("address", "Alamat"), ("rt", "RT"), ("rw", "RW"), ("kelurahan_code", "Kode kelurahan"),
    ("mother_name", "Nama ibu kandung"), ("phone", "Telepon"), ("occupation", "Pekerjaan (KTP)"),
    ("work_category", "Pekerjaan sebenarnya"), ("monthly_income", "Penghasilan per bulan"),
    ("heir_name", "Ahli waris"), ("heir_relation", "Hubungan ahli waris"),
    ("heir_phone", "Telepon ahli waris"), ("captured_at", "Dicatat di perangkat"),
    ("notes", "Catatan"), ("disability", "Disabilitas"),
]
DISABILITY_LABELS = {"seeing": "melihat", "hearing": "mendengar", "walking": "berjalan/naik tangga",
                     "cognition": "mengingat/berkonsentrasi", "self_care": "mengurus diri sendiri",
                     "communication": "berkomunikasi"}
CENTRAL_STATUS_LABELS = {"accepted": "Diterima pusat", "registered": "Terdaftar di BPJS",
                         "rejected": "Ditolak pusat", "duplicate": "Ganda (orang yang sama sudah aktif lewat data lain)",
                         "sent_back": "Dikirim balik pusat untuk diperbaiki"}
# Reason codes central sends back (central/eligibility.py and ingest), in Indonesian.
CENTRAL_REASON_LABELS = {
    "dtsen_desil_above_cutoff": "DTSEN: desil di atas batas program",
    "already_bpjs_participant": "Sudah peserta aktif BPJS Ketenagakerjaan",
    "already_in_cohort": "Sudah ditanggung program (kohort 2024)",
    # the intake rules central checks again (berjasa.record_reasons), the two damaged
    # numbers with what the enumerator does about them
    **RECORD_REASON_TEXT,
    "nik_damaged_by_spreadsheet": "NIK rusak oleh spreadsheet: ketik ulang dari KTP",
    "kk_damaged_by_spreadsheet": "Nomor KK rusak oleh spreadsheet: ketik ulang dari Kartu Keluarga",
    # a version (e.g. a fix) that reached central after central erased the person
    "erased": "Data orang ini sudah dihapus di pusat (pelindungan data pribadi)",
    # a new record of a person erased on request (at any kelurahan or at central),
    # captured or consented to before the erasure (central/ingest.py)
    "erased_on_request": "Orang ini meminta datanya dihapus (UU PDP) setelah data ini dicatat; "
                         "hapus data ini dari HP. Bila ia setuju didata lagi, catat sebagai data "
                         "baru dengan persetujuan baru",
}

ACTION_LABELS = {
    "create": "Dicatat", "edit": "Diubah", "approve": "Disetujui", "reject": "Ditolak", "needs_fix": "Perlu perbaikan",
    "resubmit": "Diajukan ulang", "sync": "Terkirim", "register": "Terdaftar",
    "central_reject": "Ditolak pusat",
}


def rupiah(amount: Any) -> str:
    """12500000 -> "Rp12.500.000"."""
    if not isinstance(amount, int):
        return "" if amount is None else str(amount)
    return number_text.rupiah(amount)


def field_value(record: dict[str, Any], field: str) -> str:
    """A record's field as shown on the review page."""
    value = record.get(field)
    if field == "monthly_income":
        return rupiah(value)
    if field == "birth_date":
        return tanggal(value)
    if field == "captured_at":
        return wita(value)
    if field == "sex":
        return {"L": "Laki-laki", "P": "Perempuan"}.get(value, value or "")
    if field == "disability":
        return disability_text(value)
    if field in ("phone", "heir_phone") and isinstance(value, str):
        return national_form(value)  # as people write and dial it (stored as +62...)
    return "" if value is None else str(value)


def _label(labels: dict[str, str]):
    """A filter naming a code in words: the label, the code itself when it has none,
    nothing for no code (a page never shows Python's ``None``)."""
    return lambda code: "" if code is None else labels.get(code, code)


FILTERS = {
    "status_label": _label(STATUS_LABELS),
    "role_label": _label(ROLE_LABELS),
    "rule_label": _label(RULE_LABELS),
    "result_label": _label(RESULT_LABELS),
    "action_label": _label(ACTION_LABELS),
    "central_status_label": lambda s: CENTRAL_STATUS_LABELS.get(s, s or ""),
    "history_actor": lambda name: history_actor(name),
    "central_reason": lambda r: central_reason_text(r),
    "consent_method": _label(CONSENT_METHOD_LABELS),
    "rupiah": rupiah,
    "wita": wita,
    "tanggal": tanggal,
}


def disability_text(value: Any) -> str:
    """``{"has_disability": true, "kinds": ["walking"]}`` as "Ya: berjalan/naik tangga"."""
    if not isinstance(value, dict):
        return "Tidak ditanyakan"
    if not value.get("has_disability"):
        return "Tidak"
    kinds = [DISABILITY_LABELS.get(k, str(k)) for k in value.get("kinds") or []]
    return "Ya" + (": " + ", ".join(kinds) if kinds else "")


_REASON_CODE = re.compile(r"[a-z][a-z0-9_]*")


def central_reason_text(reason: Any) -> str:
    """``rejected: dtsen_desil_above_cutoff, ...`` (as the agent keeps it) in Indonesian."""
    if not reason:
        return ""
    text = str(reason)
    head, _, rest = text.partition(": ")
    if head == "rejected":
        # the agent keeps central's reasons joined by ", ": codes, or a verifier's own
        # words, which may hold commas themselves and are then shown as written
        pieces = rest.split(", ")
        if all(_REASON_CODE.fullmatch(piece) for piece in pieces):
            return "; ".join(CENTRAL_REASON_LABELS.get(code, code) for code in pieces)
        return ", ".join(CENTRAL_REASON_LABELS.get(piece, piece) for piece in pieces)
    if head == "duplicate_nik":
        # central judges the record again when that one lets go of the NIK
        return ("NIK sudah aktif di " + rest + "; data ini menunggu: bila data itu tidak lagi "
                "memegang NIK ini, pusat menilainya ulang dan kabarnya tiba lewat sinkronisasi")
    if head == "duplicate_person":
        return "Orang yang sama dengan data di " + rest + " (keputusan verifikator pusat)"
    return text


# A history entry's keys that its other columns already say (when, who, what, why)
# or that mean nothing to a supervisor.
_HISTORY_SHOWN_ELSEWHERE = frozenset({"decision", "reviewed_at", "reviewed_by", "review_reason",
                                      "version", "updated_at", "last_edited_by", "intake_hash",
                                      "content_hash"})
# What the review page says instead of a value kept beside the trail that does not
# match the trail's tag (someone changed it in the database: h2 report item 4).
UNMATCHED = "nilai tidak cocok dengan jejak audit"
_FIELD_NAMES = dict(FIELD_LABELS)


def history_changes(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A history entry's changes for the review page: (name, before, after) in words,
    "–" for nothing; a status in its label, a field as the page shows it, a time in
    WITA, warnings the approval overrode as their count."""
    old, new = entry.get("old_values") or {}, entry.get("new_values") or {}
    unmatched = set(entry.get("unmatched") or ())
    changes = [(_HISTORY_NAMES.get(key) or _FIELD_NAMES.get(key, key),
                UNMATCHED if key in unmatched else _history_value(key, old.get(key)),
                UNMATCHED if key in unmatched else _history_value(key, value))
               for key, value in new.items() if key not in _HISTORY_SHOWN_ELSEWHERE]
    # "– → –" says nothing; a value that does not match the trail is always said
    return [change for change in changes if change[1] != change[2] or change[1] == UNMATCHED]


def history_reason(entry: dict[str, Any]) -> str:
    """A history entry's reason: central's (written by the sync agent) in words."""
    if "_reason" in (entry.get("unmatched") or ()):
        return UNMATCHED
    reason = entry.get("reason") or ""
    return central_reason_text(reason) if entry.get("changed_by") == "sync" else reason


# Who made a history entry: the sync agent writes central's moves as "sync".
_HISTORY_ACTORS = {"sync": "pusat (lewat sinkronisasi)"}


def history_actor(name: str | None) -> str:
    """A history entry's author as the review page names it."""
    return _HISTORY_ACTORS.get(name or "", name or "")


_HISTORY_NAMES = {"status": "Status", "central_status": "Status di pusat",
                  "central_reason": "Alasan pusat", "kpj_number": "Nomor KPJ",
                  "overridden_warnings": "Peringatan dikesampingkan",
                  "possible_duplicates": "Kemungkinan data ganda"}


def _history_value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if key == "status":
        return STATUS_LABELS.get(value, str(value))
    if key == "central_status":
        return CENTRAL_STATUS_LABELS.get(value, str(value))
    if key == "central_reason":
        return central_reason_text(value)
    if key == "overridden_warnings" and isinstance(value, list):
        return f"{len(value)} peringatan"
    if key == "possible_duplicates" and isinstance(value, list):
        return f"{len(value)} data"
    if key in _FIELD_NAMES:
        return field_value({key: value}, key) or "–"
    if key.endswith("_at") and isinstance(value, str):
        return wita(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
