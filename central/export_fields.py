"""How a record held at central reads in an export: the Indonesian words of its codes
(sex, disability, reasons), its region's names, its stored rules read back, and the
base of every export's rows (:class:`Builder`). Shared by the files for BPJS
(:mod:`central.export_bpjs`), BPKAD (:mod:`central.export_bpkad`) and Disnaker
(:mod:`central.export_disnaker`); :mod:`central.exports` makes and audits them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from berjasa.record_reasons import RECORD_REASON_TEXT
from berjasa.reference import kelurahan, regions
from central.storage.db import Database

SEX = {"L": "Laki-laki", "P": "Perempuan"}
CITY = "Kota Makassar"
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
# a verifier's rejection is stored as this prefix and the verifier's text
# (central.findings.VERIFIER_REJECTION)
VERIFIER_PREFIX = "verifikasi: "


class ExportError(ValueError):
    """An export cannot be made (one clear line for the user)."""


@lru_cache(maxsize=512)
def region_names(code: str) -> tuple[str, str]:
    """(kelurahan name, kecamatan name) for a kelurahan code."""
    region = kelurahan(code or "")
    if region is None:
        return "", ""
    return region.name, regions()[region.kecamatan_code].name


def stored_json(text: Any, default: Any) -> Any:
    """A JSON column as stored (text, or already decoded); ``default`` when empty or unreadable."""
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
    data = stored_json(value, None)
    if not isinstance(data, dict):
        return "", ""
    if not data.get("has_disability"):
        return "Tidak", ""
    kinds = [DISABILITY_KINDS.get(k, str(k)) for k in data.get("kinds") or []]
    return "Ya", ", ".join(kinds)


def has_disability(value: Any) -> bool:
    """True when the stored disability says so."""
    data = stored_json(value, None)
    return isinstance(data, dict) and bool(data.get("has_disability"))


def passes_every_rule(eligibility: Any) -> bool:
    """True when the stored eligibility is a non-empty list with every rule ``pass``."""
    rules = stored_json(eligibility, None)
    return bool(rules) and isinstance(rules, list) and all(
        isinstance(r, dict) and r.get("result") == "pass" for r in rules)


def income_failed(eligibility: Any) -> bool:
    """True when the stored eligibility has a failing income rule."""
    rules = stored_json(eligibility, None) or []
    return any(isinstance(r, dict) and r.get("rule") in INCOME_RULES and r.get("result") == "fail"
               for r in rules)


def reason_codes(reasons: list[str]) -> tuple[list[str], list[str]]:
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


def duplicate_of(record: dict[str, Any]) -> str:
    if not record.get("duplicate_of_record"):
        return ""
    return f"{record['duplicate_of_kelurahan']}/{record['duplicate_of_record']}"


class Builder:
    """Rows of one export as an iterator, plus what the audit needs."""

    title_lines: list[str]

    def __init__(self, db: Database) -> None:
        self.db = db
        self.title_lines = []
        self.count = 0

    def rows(self) -> Iterator[dict[str, Any]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def finished(self, db: Database, at: str) -> None:
        """After the file is complete, in the audit's transaction."""
