"""Central's use of the shared rules (:mod:`berjasa.eligibility`): what it can
prove on data it holds. Plain functions: no database, no Flask.

A record is ``rejected`` at central only when it is invalid (:func:`record_problems`)
or when a rule fails on a loaded snapshot: ``dtsen`` (desil above the cut-off on
the loaded DTSEN) or ``bpjs_membership`` (an active row of the loaded BPJS list, or
the NIK is in the loaded 2024 cohort). Every other failing or unknown rule keeps
the record ``accepted`` but off the registration file (docs/eligibility.md). A
snapshot row an import refused for a NIK makes the rules reading that snapshot
``unknown`` for it (:func:`evidence`), never a proof either way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from berjasa import eligibility as rules
from berjasa import enrollment_schema
from berjasa.settings import SETTINGS

# reason codes sent back when a rule on loaded data rejects a record
REJECTION_CODES = frozenset({"dtsen_desil_above_cutoff", "already_bpjs_participant", "already_in_cohort"})
# The rule each rejection code comes from (decide): a report names the failure once,
# with the rule's own reason (the desil, the KPJ) under the rejection's code.
RULE_OF_REJECTION = {"dtsen_desil_above_cutoff": "dtsen", "already_bpjs_participant": "bpjs_membership",
                     "already_in_cohort": "bpjs_membership"}

# Keys of a protocol record that are the kelurahan's bookkeeping, not intake fields.
PROTOCOL_ONLY = frozenset({"version", "enumerator", "reviewed_by", "reviewed_at", "kpj_claim"})
# A KPJ as BPJS writes it (central.import_cells.clean_kpj): a claim of another shape is
# not kept (no real laptop sends one: its KPJ came from central's own update).
_KPJ = re.compile(r"[0-9A-Za-z]{6,20}")
# An intake problem answered with its own code (field, intake code) -> reason; every
# other problem is ``invalid_<field>`` (or the field's name below), once per field.
_SPECIAL_REASONS = {
    ("id", "required"): "missing_id",
    ("full_name", "required"): "missing_name",
    ("full_name", "name_required"): "missing_name",
    ("nik", "nik_damaged_by_spreadsheet"): "nik_damaged_by_spreadsheet",
    ("nik", "nik_sex_mismatch"): "nik_sex_mismatch",
    ("nik", "nik_birth_date_mismatch"): "nik_birth_date_mismatch",
    ("kk_number", "kk_damaged_by_spreadsheet"): "kk_damaged_by_spreadsheet",
    ("consent.given", "consent_required"): "consent_not_given",
}
_FIELD_REASONS = {"monthly_income": "invalid_income", "kk_number": "invalid_kk", "_body": "invalid_record"}
_RULE_DEFAULTS = {name: SETTINGS[name].default for name in enrollment_schema.RULE_SETTINGS}
_FILLED: tuple[Any, dict | None] = (None, None)
_FIELD_ORDER = {name: i for i, name in enumerate(
    enrollment_schema.loaders(_RULE_DEFAULTS)[0].load_fields)}
# Every code record_problems can answer (each has an Indonesian text in
# central/export_fields.py REASON_TEXT and the kelurahan's CENTRAL_REASON_LABELS).
RECORD_REASONS = frozenset(
    {_FIELD_REASONS.get(name, f"invalid_{name}") for name in _FIELD_ORDER}
    | set(_SPECIAL_REASONS.values()) | {"invalid_record", "kelurahan_mismatch"})


def record_problems(record: dict[str, Any], kelurahan_code: str,
                    settings: Mapping[str, Any] | None = None,
                    held_consent_at: str | None = None) -> list[str]:
    """Reasons a record cannot be held at all (:func:`judge_record`'s first half)."""
    return judge_record(record, kelurahan_code, settings, held_consent_at)[0]


def judge_record(record: dict[str, Any], kelurahan_code: str,
                 settings: Mapping[str, Any] | None = None,
                 held_consent_at: str | None = None) -> tuple[list[str], dict | None]:
    """(reasons a record cannot be held at all, its values as the intake loads them).

    Reasons: it is not from the batch's kelurahan, or the kelurahan's intake would
    have refused it (the agent should never send these; an old, buggy or tampered
    laptop might). The intake rules are the kelurahan's own
    (:func:`berjasa.enrollment_schema.intake_load`) with central's ``settings`` (work
    categories, income bounds, oldest age; a missing one is its declared default).
    One reason code per bad field, in field order (:data:`RECORD_REASONS`).
    ``held_consent_at``: the consent time of the version central holds (a newer
    version is a fix): kept as it was, it is not judged again, so a record held
    before the consent-time bounds is never refused for them (docs/central.md).

    Values: for a record the intake accepts, every intake field in the form the
    kelurahan stores (list spellings, +62 phones, RT/RW of three digits, names
    trimmed and NFC), the protocol's own keys (``version``...) as sent; None for
    a record with a problem (kept as sent, the evidence of what came)."""
    if not isinstance(record, dict):
        return ["invalid_record"], None
    settings = _with_rule_defaults(settings)
    payload = {k: v for k, v in record.items() if k not in PROTOCOL_ONLY}
    reasons: list[str] = []
    mismatch = record.get("kelurahan_code") != kelurahan_code
    loaded, found = enrollment_schema.intake_load(payload, settings, held_consent_at)
    for field, codes in sorted(found.items(), key=lambda item: _FIELD_ORDER.get(
            item[0].split(".")[0], len(_FIELD_ORDER))):
        top = field.split(".")[0]
        if top == "kelurahan_code" and mismatch:
            continue  # named once, as kelurahan_mismatch
        for code in codes:
            reason = _SPECIAL_REASONS.get((field, code)) or _FIELD_REASONS.get(top, f"invalid_{top}")
            if reason not in reasons:
                reasons.append(reason)
    if mismatch:
        reasons.append("kelurahan_mismatch")
    if reasons:
        return reasons, None
    return reasons, {**record, **loaded}


def _with_rule_defaults(settings: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """``settings`` when it holds every setting the rules read (an app's settings
    always do), else a copy with the declared defaults filled in, made once for
    the same dict (a batch's records share it: one schema per batch, not per record)."""
    global _FILLED
    if settings is not None and all(name in settings for name in enrollment_schema.RULE_SETTINGS):
        return settings
    if not settings:
        return _RULE_DEFAULTS
    given, filled = _FILLED
    if given is not settings or filled is None:
        filled = {**_RULE_DEFAULTS, **(settings or {})}
        _FILLED = (settings, filled)
    return filled


# What each snapshot is called in a reason naming one of its lines.
SNAPSHOT_NAMES = {"dtsen": "ekstrak DTSEN", "bpjs": "daftar peserta BPJS", "cohort": "daftar kohort 2024"}


def unreadable_reason(kind: str, line: int, column: str, code: str, file_name: str | None) -> str:
    """The Indonesian reason of a rule that cannot be decided because the ``kind``
    snapshot's row for the NIK was refused by its import (``line`` of ``file_name``,
    ``column`` as the file heads it, ``code`` as the rejects file's ``alasan``)."""
    where = f" ({file_name})" if file_name else ""
    column = column if column.startswith("kolom ") else f"kolom {column}"  # "kolom ke-5 (tanpa judul)"
    return (f"Baris {line} {SNAPSHOT_NAMES.get(kind, kind)}{where} tidak terbaca ({column}: "
            f"{code}); belum dapat dinilai sampai pusat memperbaiki berkas itu dan mengimpornya ulang.")


def unreadable_of(rows: list[dict[str, Any]]) -> dict[str, str]:
    """{kind: reason} of a NIK's refused snapshot rows (``unreadable_rows`` joined with
    their import's ``file_name``)."""
    return {r["kind"]: unreadable_reason(r["kind"], r["line"], r["column_label"], r["code"],
                                         r.get("file_name")) for r in rows}


def evidence(loaded: dict[str, Any], dtsen_desil: int | None, bpjs_row: dict | None,
             cohort_start: str | None, registered_by_program: bool,
             unreadable: dict[str, str] | None = None) -> rules.Evidence:
    """What central holds about one NIK. ``loaded``: the current snapshot ids
    (``{"dtsen": id|None, "bpjs": id|None, "cohort": id|None}``). ``unreadable``:
    ``{kind: reason}`` for each loaded snapshot whose import refused a row naming the
    NIK (:func:`unreadable_reason`). Such a row came before any readable one of the
    same NIK (a later row of a NIK already read is a duplicate and is not kept), and
    the first row of a NIK is the one a file means, so the readable row is set aside."""
    if unreadable:  # rare: most records have no refused row
        unreadable = {kind: text for kind, text in unreadable.items() if loaded.get(kind) is not None}
        dtsen_desil = None if "dtsen" in unreadable else dtsen_desil
        bpjs_row = None if "bpjs" in unreadable else bpjs_row
        cohort_start = None if "cohort" in unreadable else cohort_start
    return rules.Evidence(
        at_central=True,
        dtsen_loaded=loaded.get("dtsen") is not None,
        dtsen_desil=None if dtsen_desil is None else int(dtsen_desil),
        bpjs_loaded=loaded.get("bpjs") is not None,
        bpjs_status=(bpjs_row.get("status") or "") if bpjs_row is not None else None,
        bpjs_kpj=bpjs_row.get("kpj_number") if bpjs_row is not None else None,
        cohort_start=cohort_start if loaded.get("cohort") is not None else None,
        registered_by_program=registered_by_program,
        dtsen_unreadable=unreadable.get("dtsen") if unreadable else None,
        bpjs_unreadable=unreadable.get("bpjs") if unreadable else None,
        cohort_unreadable=unreadable.get("cohort") if unreadable else None,
    )


def decide(record: dict[str, Any], params: rules.Parameters, proof: rules.Evidence,
           today: dt.date) -> tuple[list[dict], list[str]]:
    """(rule results, rejection codes) for one record held at central."""
    results = rules.evaluate(record, params, today=today, evidence=proof)
    codes = []
    for result in results:
        if result["result"] != rules.FAIL:
            continue
        if result["rule"] == "dtsen":
            codes.append("dtsen_desil_above_cutoff")
        elif result["rule"] == "bpjs_membership":
            codes.append("already_in_cohort" if proof.cohort_start else "already_bpjs_participant")
    return results, codes


def kpj_claim(record: Mapping[str, Any]) -> str | None:
    """The KPJ a kelurahan claims BPJS registered the record under (protocol 3's
    ``kpj_claim``, sent when a laptop resends its registered records after central
    was restored), or None (absent, or not a KPJ)."""
    claim = record.get("kpj_claim")
    return claim if isinstance(claim, str) and _KPJ.fullmatch(claim) else None


def claim_confirmed(claim: str | None, bpjs_kpj: str | None) -> bool:
    """Whether the loaded BPJS list confirms a kelurahan's claim: it lists the
    record's NIK with the very KPJ claimed. Only then does central take the record
    for one it registered itself (the claim alone never makes anyone registered)."""
    return claim is not None and bpjs_kpj is not None and claim == bpjs_kpj


def claim_contradicted(claim: str | None, listed: bool, bpjs_kpj: str | None) -> bool:
    """Whether the loaded BPJS list contradicts a kelurahan's claim: it shows the
    record's NIK with another KPJ (or none). Compared before central's own memory of
    putting the record on a file (``registration_exported_at``): a record the list
    shows under a KPJ its kelurahan never had is not registered on the list's word,
    a verifier decides (finding ``kpj_claim_unconfirmed``)."""
    return claim is not None and listed and bpjs_kpj != claim


def registered_by_program(claim: str | None, listed: bool, bpjs_kpj: str | None,
                          remembered: bool) -> bool:
    """Whether a listed NIK is the program's own registration (not "already a
    participant"): central remembers registering it (``remembered``: registered, or
    put on a file) or the list confirms its kelurahan's claim; never when the list
    contradicts the claim (:func:`claim_contradicted`, compared first)."""
    if claim_contradicted(claim, listed, bpjs_kpj):
        return False
    return remembered or (listed and claim_confirmed(claim, bpjs_kpj))


def held_for_claim(codes: list[str], claim: str | None) -> list[str]:
    """Rejection codes of a record that claims a KPJ the list does not confirm:
    the list showing its NIK is not "already a participant" on the list's word
    alone (the claim says that participation is the program's own registration);
    a verifier decides (finding ``kpj_claim_unconfirmed``), and the record stays
    off the registration file and the payment list meanwhile."""
    if claim is None:
        return codes
    return [code for code in codes if code != "already_bpjs_participant"]


def snapshot_stamp(loaded: dict[str, Any], params: rules.Parameters) -> dict[str, Any]:
    """What a decision records: the snapshot ids and the parameter set used."""
    return {"dtsen": loaded.get("dtsen"), "bpjs": loaded.get("bpjs"), "cohort": loaded.get("cohort"),
            "parameters": params.label()}


def same_outcome(old: list[dict] | None, new: list[dict]) -> bool:
    """The same rules with the same results (reason wording aside), and the same reason
    for each ``unknown``: why a rule cannot be decided is what the kelurahan acts on (a
    list not loaded yet, or a line of it central must fix and import again)."""
    if not old:
        return False
    return [_outcome(r) for r in old] == [_outcome(r) for r in new]


def _outcome(result: dict) -> tuple:
    unknown = result.get("result") == rules.UNKNOWN
    return result.get("rule"), result.get("result"), result.get("reason") if unknown else None
