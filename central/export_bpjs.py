"""The BPJS registration file (``bpjs-registration``): the records that pass every
rule and that BPJS does not list yet, and the records held off it (for a verifier, or
a kelurahan's KPJ claim waiting for a newer BPJS list), counted and said in words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from central import holds
from central.contributions import Calculator
from central.export_fields import (
    CITY,
    SEX,
    Builder,
    disability_fields,
    passes_every_rule,
    region_names,
)
from central.storage import reports, snapshots
from central.storage.db import Database

# How the registration file's summary names each hold (central.storage.reports.REGISTRATION_HOLDS).
HOLD_TEXT = {"open_finding": "dengan temuan terbuka",
             "open_pair": "dalam pasangan kemungkinan ganda yang belum diputus"}


def claim_needs_newer_list(claimed_at: str | None, list_at: str | None) -> bool:
    """Whether a KPJ claim waits for a BPJS list imported after it arrived (none is
    loaded, or the one in force is older than the claim: it proves nothing,
    central.findings.kpj_claims_checked); a newer list has decided already (the
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
    keputusan verifikator: 1 dengan temuan terbuka (1 Identitas tidak sama dengan DTSEN
    [dtsen_mismatch]), 2 dalam pasangan ...`` (the kinds as :mod:`central.holds` says them)."""
    total = int(counts.get("held_for_verifier") or 0)
    if not total:
        return None
    parts = [f"{counts[f'held_{name}']} {HOLD_TEXT.get(name, name)}"
             for name in reports.VERIFIER_HOLDS if counts.get(f"held_{name}")]
    kinds = holds.finding_kinds_text(counts)  # the open findings by kind (central.holds)
    if kinds and counts.get("held_open_finding"):
        parts[0] += f" ({kinds})"
    return (f"{total} data lolos semua aturan tetapi belum masuk berkas ini, menunggu keputusan "
            f"verifikator: {', '.join(parts)}.")


def unconfirmed_line(counts: dict[str, Any]) -> str | None:
    """The registration file's note on rows whose declared income falls in a band the
    contribution schedule marks unconfirmed (their band cell is left empty), or None."""
    rows = int(counts.get("unconfirmed_band") or 0)
    if not rows:
        return None
    return (f"Catatan: {rows} baris tanpa nilai band upah: band untuk upah yang dilaporkannya "
            "belum pasti dalam jadwal iuran (PP 44/2015 Lampiran II). Upah yang dilaporkan tetap "
            "tercantum; BPJS menetapkan band dari upah itu.")


class Registration(Builder):
    """The BPJS registration file."""

    def __init__(self, db: Database, calculator: Calculator) -> None:
        super().__init__(db)
        self.calculator = calculator
        self.central_ids: list[int] = []
        self.targets: list[tuple[str, str]] = []
        # records that pass every rule but are held: per hold (a record may be in
        # several), those waiting for a verifier, claims waiting for a newer BPJS list
        self.held_records = 0
        self.held: Counter[str] = Counter()
        self.claims_need_list = 0
        self.held_for_findings: list[int] = []
        self.list_at = bpjs_list_at(db)
        # rows whose income falls in a band marked unconfirmed: their band cell is empty
        self.unconfirmed_band = 0

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_registration_candidates(self.db):
            if not passes_every_rule(r["eligibility"]):
                continue
            held = [name for name in reports.REGISTRATION_HOLDS if r[f"held_{name}"]]
            if held:  # off this file for now; counted for the summary
                self.held.update(held)
                if any(name in reports.VERIFIER_HOLDS for name in held):
                    self.held_records += 1
                if "open_finding" in held:  # counted per finding kind once the file is done
                    self.held_for_findings.append(int(r["central_id"]))
                if "kpj_claims" in held:
                    self.claims_need_list += claim_needs_newer_list(r["kpj_claimed_at"],
                                                                    self.list_at)
                continue
            kel, kec = region_names(r["kelurahan_code"])
            disabled, kinds = disability_fields(r["disability"])
            jht = bool(r["jht"]) or r["jht_from"] is not None  # flagged, or on the JHT list
            income = r["monthly_income"]
            band = self.calculator(income, jht=jht)
            # a placeholder band is never sent as if real: the cell stays empty, BPJS sets
            # the band from the declared income, and unconfirmed_line says so
            self.unconfirmed_band += not band.band_confirmed
            self.central_ids.append(int(r["central_id"]))
            # the trail's record target (central.trail): on a file for the first time, or again
            self.targets.append((f"{r['kelurahan_code']}/{r['record_id']}",
                                 "on_registration_file_again" if r["registration_exported_at"]
                                 else "on_registration_file"))
            self.count += 1
            yield {
                "nik": r["nik"], "kk_number": r["kk_number"], "full_name": r["full_name"],
                "mother_name": r["mother_name"], "birth_place": r["birth_place"],
                "birth_date": r["birth_date"], "sex": SEX.get(r["sex"], r["sex"]),
                "address": r["address"], "rt": r["rt"], "rw": r["rw"],
                "kelurahan_code": r["kelurahan_code"], "kelurahan": kel, "kecamatan": kec,
                "city": CITY, "phone": r["phone"], "occupation": r["occupation"],
                "work_category": r["work_category"], "monthly_income": income,
                "band_base": band.base if band.band_confirmed else None,
                "heir_name": r["heir_name"], "heir_relation": r["heir_relation"],
                "heir_phone": r["heir_phone"], "disability": disabled, "disability_kinds": kinds,
                "program": "JKK+JKM+JHT" if jht else "JKK+JKM", "payer": self.calculator.payer,
            }

    def finished(self, db: Database, at: str) -> None:
        reports.mark_registration_exported(db, self.central_ids, at)

    def held_counts(self) -> dict[str, int]:
        """``held_for_verifier`` (records left off that pass every rule) and
        ``held_<hold>`` for each of :data:`central.storage.reports.REGISTRATION_HOLDS`
        (a record may be held by more than one), and ``held_finding_<kind>`` for the
        open findings' kinds of the ``held_open_finding`` records (:mod:`central.holds`)."""
        return {"held_for_verifier": self.held_records,
                **{f"held_{name}": self.held[name] for name in reports.REGISTRATION_HOLDS},
                **holds.registration_finding_kinds(self.db, self.held_for_findings),
                "kpj_claims_need_bpjs_list": self.claims_need_list,
                "unconfirmed_band": self.unconfirmed_band}
