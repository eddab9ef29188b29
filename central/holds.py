"""What keeps records off the BPJS registration file, or registered workers off a
month's payment list, until someone decides: counted and said in words, one
machinery for the registration export (``reports.REGISTRATION_HOLDS``), the payment
list and the dashboard (plain functions, no SQL, no Flask).

Open findings are counted per kind, whatever the kind: ``held_finding_<kind>`` in an
export's ``--json`` filters and trail entry, named in words by the kind's label
(``central.verification.KIND_LABELS``) with its code beside it, or by the code alone
for a kind without a label. A new finding kind that holds a record is reported with
no change here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from berjasa import eligibility as rules
from central.export_fields import income_failed
from central.storage import payments, reports, snapshots
from central.storage.db import Database

FINDING_KEY = "held_finding_"  # + kind: records held by an open finding of that kind


def finding_label(kind: str) -> str:
    """A finding kind in words, with its code: ``Identitas tidak sama dengan DTSEN
    [dtsen_mismatch]``; the code alone when it has no label."""
    # imported here: central.verification imports the registration export, which uses this
    from central.verification import KIND_LABELS

    label = KIND_LABELS.get(kind)
    return f"{label} [{kind}]" if label else kind


def by_finding_kind(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``{held_finding_<kind>: records}`` from ``{central_id, kind}`` rows (a record
    with two findings of one kind counts once for it), kinds in code order."""
    records: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        records[str(row["kind"])].add(int(row["central_id"]))
    return {f"{FINDING_KEY}{kind}": len(records[kind]) for kind in sorted(records)}


def finding_kinds_text(counts: Mapping[str, Any]) -> str:
    """The ``held_finding_<kind>`` counts in words: ``2 Identitas tidak sama dengan
    DTSEN [dtsen_mismatch], 1 Dukcapil: NIK tidak aktif [dukcapil_inactive]``."""
    return ", ".join(f"{n} {finding_label(key[len(FINDING_KEY):])}"
                     for key, n in counts.items() if key.startswith(FINDING_KEY) and n)


def registration_finding_kinds(db: Database, central_ids: list[int]) -> dict[str, int]:
    """``held_finding_<kind>`` of the records the registration file held for an open
    finding (``central_ids``)."""
    return by_finding_kind(reports.open_finding_kinds(db, central_ids)) if central_ids else {}


def age_limits(month: str, settings: Mapping[str, Any] | None = None) -> tuple[int, int]:
    """(age_min, age_max) of the eligibility parameters in force on the first day of
    ``month`` (YYYY-MM), with the settings' overrides (``berjasa.eligibility``)."""
    year, number = (int(p) for p in month.split("-"))
    settings = dict(settings or {})
    first = dt.date(year, number, 1)
    sets = rules.load_sets(settings.get("eligibility_parameters_file"))
    if sets and all(s["valid_from"] > first.isoformat() for s in sets):
        # a month before the program's first parameter set (a list with nobody to pay,
        # or a cohort start typed too early): the earliest set's limits
        first = dt.date.fromisoformat(min(s["valid_from"] for s in sets))
    params = rules.parameters_on(first, settings)
    return params.age_min, params.age_max


def age_window(month: str, settings: Mapping[str, Any] | None = None) -> payments.AgeWindow:
    """The ages at which a participation the list for ``month`` pays may have begun:
    :func:`age_limits` of the month (the age rule of registration, read at each
    worker's coverage start: a worker who turns 66 while covered stays paid until the
    BPJS list says the participation ended; a cohort row whose coverage began at 13 or
    at 84 is not paid)."""
    return payments.AgeWindow(*age_limits(month, settings))


def payment_not_held(db: Database, month: str,
                     settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The part of :func:`payment_left_out` no verifier's decision changes (it moves
    with imports and rechecks only: the dashboard keeps it with its cached figures):
    ``excluded_age`` (workers, registered or of the cohort, whose age as their coverage
    began was outside ``age_limits`` [min, max]: not paid),
    ``excluded_income_failed``, ``cohort_rows_refused``, ``cohort_not_active_bpjs``
    (cohort workers due whom the BPJS list in force shows not participating) and
    ``cohort_not_active_bpjs_by_status`` (``{status as the import reads it (central.bpjs_status): workers}``).
    ``settings``: the eligibility settings (age limits overridden, another parameters file)."""
    ages = age_window(month, settings)
    failed = sum(1 for row in payments.payable_with_a_failing_rule(db, month, ages)
                 if income_failed(row["eligibility"]))
    cohort = snapshots.in_force(db, "cohort")
    by_status = {str(row["status"]): int(row["n"])
                 for row in payments.cohort_not_active_bpjs(db, month)}
    return {"excluded_age": payments.payable_outside_ages(db, month, ages),
            "age_limits": [ages.age_min, ages.age_max],
            "excluded_income_failed": failed,
            "cohort_rows_refused": int(cohort["rejected"] or 0) if cohort else 0,
            "cohort_not_active_bpjs": sum(by_status.values()),
            "cohort_not_active_bpjs_by_status": by_status}


def payment_left_out(db: Database, month: str, not_held: Mapping[str, Any] | None = None,
                     settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Who the payment list for ``month`` leaves out and why, counted before it is
    written (the file's note, the command's line and the dashboard say the same):
    ``held_for_verifier`` and ``held_open_finding`` (registered workers due that month
    whom an open finding holds, ``payments.NO_FINDING_HOLDING_PAYMENT``; the same number
    under both names, as the registration export names its holds), ``held_finding_<kind>``
    per kind, ``excluded_income_failed`` (registered workers due whose stored income
    rule failed: not billed) and ``cohort_rows_refused`` (rows of the 2024 cohort in
    force its import refused: nobody's row here until a corrected file is imported),
    ``cohort_not_active_bpjs`` with ``cohort_not_active_bpjs_by_status`` (cohort workers
    the BPJS participant list in force shows as not participating: Meninggal Dunia,
    Non Aktif, Keluar, Ditolak; paid again when a newer list shows them active, or gone
    with a corrected cohort file).
    ``not_held``: :func:`payment_not_held` for the month when the caller has it, else
    counted with ``settings`` (the eligibility settings: the age limits)."""
    held = payments.payment_held(db, month)  # open findings: counted live, always
    records = len({int(row["central_id"]) for row in held})
    return {"held_for_verifier": records, "held_open_finding": records, **by_finding_kind(held),
            **(not_held if not_held is not None else payment_not_held(db, month, settings))}


def payment_line(counts: Mapping[str, Any], month: str, cohort: bool = True) -> str | None:
    """The payment list's note on who it leaves out for ``month`` (the counts of
    :func:`payment_left_out`), or None when it leaves out nobody: what the treasurer
    needs to reconcile the list with BPJS's bill for its registered participants.
    ``cohort`` False: without the refused cohort rows (the file has a line of its own
    for them, naming the cohort file)."""
    parts = []
    held = int(counts.get("held_open_finding") or 0)
    if held:
        parts.append(f"{held} pekerja terdaftar BPJS ditahan temuan terbuka yang menunggu keputusan "
                     f"verifikator ({finding_kinds_text(counts)})")
    aged = int(counts.get("excluded_age") or 0)
    if aged:
        low, high = counts.get("age_limits") or ("?", "?")
        parts.append(f"{aged} pekerja yang umurnya saat mulai kepesertaan di luar batas {low}-{high} "
                     "tahun [age]: tidak dibayar")
    failed = int(counts.get("excluded_income_failed") or 0)
    if failed:
        parts.append(f"{failed} pekerja terdaftar BPJS yang aturan penghasilannya tidak terpenuhi")
    inactive = int(counts.get("cohort_not_active_bpjs") or 0)
    if inactive:
        statuses = ", ".join(f"{n} {status}" for status, n in
                             (counts.get("cohort_not_active_bpjs_by_status") or {}).items())
        parts.append(f"{inactive} pekerja kohort 2024 yang di daftar peserta BPJS berstatus tidak "
                     f"aktif ({statuses}) [cohort_not_active_bpjs]: dibayar lagi bila daftar BPJS "
                     "yang lebih baru menunjukkannya aktif, atau perbaiki berkas kohort")
    refused = int(counts.get("cohort_rows_refused") or 0) if cohort else 0
    if refused:
        parts.append(f"{refused} baris kohort 2024 yang ditolak saat impor")
    if not parts:
        return None
    return (f"Perhatian: tidak ada di daftar iuran {month} ini: {'; '.join(parts)}. Cocokkan "
            f"dengan tagihan BPJS: pekerja terdaftar yang ditahan tetap peserta BPJS.")
