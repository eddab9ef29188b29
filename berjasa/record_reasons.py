"""The words for a record central refused by the kelurahan's own intake rules
(``central.eligibility.RECORD_REASONS``, checked again at central: a laptop that sent
such a record was out of date, faulty or tampered with, or its own lists differ from
central's). One text per code, shown by central's exports and dashboard and by the
kelurahan's pages and phones alike; and the one rule that tells such a rejection, which
names data the kelurahan can correct, from a rejection it cannot undo."""

from __future__ import annotations

from collections.abc import Iterable

RECORD_REASON_TEXT = {
    "invalid_record": "Data tidak berbentuk data pendaftaran",
    "missing_id": "ID data kosong",
    "invalid_nik": "NIK tidak sah (harus 16 angka)",
    "missing_name": "Nama kosong",
    "invalid_birth_date": "Tanggal lahir tidak sah",
    "invalid_income": "Penghasilan tidak sah",
    "kelurahan_mismatch": "Kode kelurahan bukan kelurahan laptop pengirim",
    "invalid_id": "ID data tidak sah (harus UUID)",
    "nik_damaged_by_spreadsheet": "NIK rusak oleh spreadsheet (digit terakhir hilang)",
    "nik_sex_mismatch": "Jenis kelamin tidak cocok dengan NIK",
    "nik_birth_date_mismatch": "Tanggal lahir tidak cocok dengan NIK",
    "invalid_kk": "Nomor KK tidak sah",
    "kk_damaged_by_spreadsheet": "Nomor KK rusak oleh spreadsheet (digit terakhir hilang)",
    "invalid_full_name": "Nama tidak sah (hanya huruf, spasi dan . , ' -)",
    "invalid_birth_place": "Tempat lahir tidak sah (kosong, terlalu panjang, atau berisi "
                           "karakter kontrol/tak terlihat seperti U+202E: ketik ulang isiannya)",
    "invalid_sex": "Jenis kelamin tidak sah (harus L atau P)",
    "invalid_address": "Alamat tidak sah (kosong, terlalu panjang, atau berisi karakter "
                       "kontrol/tak terlihat seperti U+202E: ketik ulang isiannya)",
    "invalid_rt": "RT tidak sah (1-3 angka, bukan 0)",
    "invalid_rw": "RW tidak sah (1-3 angka, bukan 0)",
    "invalid_kelurahan_code": "Kode kelurahan tidak dikenal",
    "invalid_mother_name": "Nama ibu kandung tidak sah",
    "invalid_phone": "Nomor telepon tidak sah",
    "invalid_occupation": "Pekerjaan tidak ada dalam daftar pekerjaan KTP",
    "invalid_work_category": "Kategori pekerjaan tidak ada dalam daftar pusat",
    "invalid_heir_name": "Nama ahli waris tidak sah",
    "invalid_heir_relation": "Hubungan ahli waris tidak ada dalam daftar",
    "invalid_heir_phone": "Nomor telepon ahli waris tidak sah",
    "consent_not_given": "Pekerja tidak memberikan persetujuan",
    "invalid_consent": "Catatan persetujuan tidak sah",
    "invalid_location": "Lokasi GPS tidak sah",
    "invalid_captured_at": "Waktu pendataan tidak sah atau di masa depan",
    "invalid_notes": "Catatan tidak sah (terlalu panjang, atau berisi karakter kontrol/tak "
                     "terlihat seperti U+202E: ketik ulang isiannya)",
    "invalid_disability": "Data disabilitas tidak sah",
    "invalid_possible_duplicate": "Petunjuk duplikat tidak sah",
}

# Every code of central's intake check (a test holds it equal to
# central.eligibility.RECORD_REASONS).
INTAKE_REASONS = frozenset(RECORD_REASON_TEXT)


# What a reason about the consent says, in a code, central's words for it, or a
# verifier's or supervisor's own words (Indonesian "persetujuan", English "consent").
_CONSENT_WORDS = ("persetujuan", "consent")


def names_consent(reason: object) -> bool:
    """Whether a reason (central's codes, a ``central_reason`` or ``review_reason``
    text, a verifier's send-back reason) is about the consent: then the consent time
    a record holds is judged again on its next version, never kept unjudged as "held"
    (docs/central.md "Records central judges"; docs/api.md ``consent.at``). Judging a
    valid time costs nothing, so a reason that merely mentions the consent is enough."""
    if isinstance(reason, (list, tuple)):
        return any(names_consent(item) for item in reason)
    text = reason.casefold() if isinstance(reason, str) else ""
    return any(word in text for word in _CONSENT_WORDS)


def fixable_at_kelurahan(reasons: Iterable[str] | None) -> bool:
    """Whether a ``rejected`` answer names only intake problems: data the kelurahan
    corrects (a category its list has and central's not, another kelurahan's code, a
    damaged number...). Such a record goes back to be fixed (``needs_fix``) and its
    new version is judged again; a rejection with any other reason (DTSEN, BPJS, a
    verifier's, ``erased``) is no data problem and stays ``central_rejected``."""
    reasons = list(reasons or ())
    return bool(reasons) and all(reason in INTAKE_REASONS for reason in reasons)


def fix_request_text(reasons: Iterable[str]) -> str:
    """What the supervisor and the enumerator read for such a rejection."""
    return "; ".join(RECORD_REASON_TEXT.get(reason, reason) for reason in reasons)
