"""The columns of each import file and how a header row is matched to them.

A header cell is compared after :func:`header_key`: case, punctuation and spacing are
ignored, the common Indonesian abbreviations are read as their words ("No." and
"Nomor", "Tgl." and "Tanggal"), a currency note ("(Rp)") and a trailing "?" are
dropped. So ``No. KPJ``, ``Nomor KPJ`` and ``no_kpj`` are one name, and so are
``Penghasilan (Rp)`` and ``penghasilan``. A header cell that no field takes is
reported as not used (never dropped silently: an ignored income or status column
changes who is paid and who is registered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Column names per field, the first the English one (docs/central.md "Imports" lists
# them for the operator).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "dtsen": {
        "nik": ("nik", "nomor_induk_kependudukan", "no_nik"),
        "kk_number": ("kk_number", "no_kk", "nomor_kartu_keluarga", "kk"),
        "full_name": ("full_name", "nama", "nama_lengkap"),
        "birth_date": ("birth_date", "tgl_lahir", "tanggal_lahir"),
        "kelurahan_code": ("kelurahan_code", "kode_kelurahan", "kode_desa", "kode_kel"),
        "desil": ("desil", "desil_nasional"),
    },
    "bpjs-participants": {
        "nik": ("nik", "nomor_induk_kependudukan", "no_nik"),
        "kpj_number": ("kpj_number", "no_kpj", "nomor_kpj", "kpj", "no_kartu_peserta", "no_peserta"),
        "program": ("program", "program_kepesertaan"),
        "status": ("status", "status_kepesertaan", "status_peserta"),
        "coverage_start": ("coverage_start", "mulai_kepesertaan", "tgl_kepesertaan",
                           "tgl_mulai_kepesertaan", "tmt_kepesertaan"),
    },
    "cohort": {
        "nik": ("nik", "nomor_induk_kependudukan", "no_nik"),
        "kpj_number": ("kpj_number", "no_kpj", "nomor_kpj", "kpj", "no_kartu_peserta", "no_peserta"),
        "full_name": ("full_name", "nama", "nama_lengkap"),
        "birth_date": ("birth_date", "tgl_lahir", "tanggal_lahir"),
        "kelurahan_code": ("kelurahan_code", "kode_kelurahan", "kode_kel"),
        "coverage_start": ("coverage_start", "mulai_kepesertaan", "tgl_kepesertaan",
                           "tgl_mulai_kepesertaan", "tmt_kepesertaan"),
        "monthly_income": ("monthly_income", "penghasilan", "penghasilan_per_bulan",
                           "penghasilan_bulanan"),
        "jht": ("jht", "ikut_jht", "program_jht"),
    },
    # the workers whose JHT the city pays, from a month (domain.md: from the 2026 budget)
    "jht": {
        "nik": ("nik", "nomor_induk_kependudukan", "no_nik"),
        "jht_from": ("jht_from", "mulai_jht", "jht_mulai", "tgl_mulai_jht"),
    },
}
# A BPJS participant list is told from other extracts by its KPJ numbers and the
# participation status: a DTSEN extract has NIKs too, and taken for a participant
# list it made every record it holds "already a participant".
REQUIRED = {"dtsen": ("nik", "desil"), "bpjs-participants": ("nik", "kpj_number", "status"),
            "cohort": ("nik", "kelurahan_code", "coverage_start"), "jht": ("nik", "jht_from")}

# Words read alike in a header, and words that only note a unit.
_SAME_WORD = {"nomor": "no", "nmr": "no", "tanggal": "tgl", "tangal": "tgl"}
_UNIT_WORDS = frozenset({"rp", "idr", "rupiah"})
_WORDS = re.compile(r"[^\W_]+")


def header_key(name: str) -> str:
    """A header cell as a comparable name: ``"No. KPJ"`` -> ``no_kpj``,
    ``"Tanggal Kepesertaan"`` -> ``tgl_kepesertaan``, ``"Penghasilan (Rp)"`` ->
    ``penghasilan``, ``"JHT?"`` -> ``jht``."""
    words = _WORDS.findall(name.casefold())
    return "_".join(_SAME_WORD.get(word, word) for word in words if word not in _UNIT_WORDS)


@dataclass(frozen=True)
class HeaderMatch:
    """Which column each field comes from, the required fields without a column, and
    the header cells no field takes (by column index)."""

    found: dict[str, int]
    missing: list[str]
    unused: list[int]


def match_header(header: list[str], kind: str) -> HeaderMatch:
    """Match a header row to the fields of ``kind`` (the first column of a name wins;
    a second column of the same name is not used)."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(header_key(name), index)
    found: dict[str, int] = {}
    for field, names in COLUMNS[kind].items():
        index = next((positions[key] for key in map(header_key, names) if key in positions), None)
        if index is not None:
            found[field] = index
    taken = set(found.values())
    unused = [index for index, name in enumerate(header) if index not in taken and name.strip()]
    return HeaderMatch(found, [f for f in REQUIRED[kind] if f not in found], unused)


def field_names(kind: str, field: str) -> str:
    """``kpj_number (no_kpj, nomor_kpj, ...)`` for a message."""
    names = COLUMNS[kind][field]
    return f"{names[0]} ({', '.join(names[1:])})" if len(names) > 1 else names[0]


def expected_columns(kind: str) -> str:
    """``nik (nomor_induk_kependudukan), ...`` for error messages."""
    return ", ".join(field_names(kind, field) for field in COLUMNS[kind])
