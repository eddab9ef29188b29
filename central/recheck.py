"""Re-evaluating every record held at central (after an import or a parameter
change), set-based: records are read in keyset pages joined with their snapshot
rows (one query per page), decided in Python with the shared rules, and written
back with one bulk write per page. Runs inside the caller's transaction.

Status moves (each one an update entry for the kelurahan, in Indonesian):
- a record central put on a registration file (``registration_exported_at``) that
  the BPJS list now shows -> ``registered`` with its KPJ and ``coverage_start`` (the
  list's start month, else the import month);
- ``accepted`` with a rule failing on a loaded snapshot -> ``rejected``;
- ``rejected`` only for such rules, no longer failing -> ``accepted`` again (when no
  other active record holds the NIK; update kind ``reaccepted``).
A change of rule results alone sends an ``eligibility`` update.

A record whose kelurahan claims a KPJ (``kpj_claim``: a registered record sent again
after central was restored) counts as central's own registration when the list
shows its NIK with that very KPJ; otherwise the list's row does not reject it
(:func:`central.eligibility.held_for_claim`) and a verifier gets a
``kpj_claim_unconfirmed`` finding (:func:`central.findings.kpj_claims_checked`).

A registered record the BPJS list shows with a status that is not participation
(nonaktif, keluar, ditolak, meninggal dunia...) stays registered with its KPJ (the
list's first meaning, design.md) and a verifier gets a ``bpjs_not_active`` finding,
which holds its payment (:func:`central.findings.bpjs_status_checked`); the list showing
it active again closes the finding.

A snapshot row the import refused for a record's NIK (``unreadable_rows``, read once
per recheck for the held records only) makes the rules reading that snapshot
``unknown`` (central.eligibility.evidence).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson

from berjasa import eligibility as rules
from berjasa import local_time
from central import eligibility as central_rules
from central import findings
from central.storage import findings as finding_store
from central.storage import snapshots
from central.storage import updates as update_store
from central.storage.db import Database, utc_now


def as_settings(settings: dict[str, Any] | int | None) -> dict[str, Any]:
    """Settings for the rules; a bare int is the old ``dtsen_max_desil`` argument."""
    if settings is None:
        return {}
    if isinstance(settings, int):
        return {"dtsen_max_desil": settings}
    return settings


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _loads(text: Any) -> Any:
    if text is None or isinstance(text, (list, dict)):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


def recheck(db: Database, settings: dict[str, Any] | int | None = None, *,
            today: dt.date | None = None, import_month: str | None = None,
            chunk: int = 5000, central_ids: list[int] | None = None) -> dict[str, int]:
    """Re-evaluate every held record (``central_ids``: only those); a summary of
    what changed."""
    today = today or local_time.today()
    import_month = import_month or today.strftime("%Y-%m")
    params = rules.parameters_on(today, as_settings(settings))
    loaded = snapshots.current_ids(db)
    unreadable = snapshots.unreadable_of_held(db)  # nearly always empty
    stamp = _json(central_rules.snapshot_stamp(loaded, params))
    now = utc_now()
    summary = {"evaluated": 0, "rejected": 0, "accepted": 0, "registered": 0, "eligibility_changed": 0}
    claims: list[dict[str, Any]] = []
    # registered workers the list shows: whether they are still participants
    open_status = finding_store.open_of_kind(db, findings.STATUS_FINDING)
    listed_registered: list[dict[str, Any]] = []
    before_file: list[dict[str, Any]] = []  # registered now by someone else's participation
    for page in snapshots.records_for_recheck(db, chunk, central_ids):
        writes, updates, wanting_active = [], [], []
        decided = []
        for row in page:
            reasons = _loads(row["reasons"]) or []
            if row["status"] == "rejected" and not set(reasons) <= central_rules.REJECTION_CODES:
                continue  # invalid records stay as they are
            decided.append((row, reasons, *_decide(row, params, loaded, today, import_month,
                                                    unreadable.get(row["nik"]))))
            if decided[-1][3] in ("accepted", "registered") and row["status"] == "rejected":
                wanting_active.append(row["nik"])
        taken = snapshots.active_niks(db, wanting_active)
        for row, reasons, results, status, codes, kpj, coverage in decided:
            if status in ("accepted", "registered") and row["status"] == "rejected":
                if row["nik"] in taken:
                    status, codes = "rejected", reasons
                else:
                    taken.add(row["nik"])
            summary["evaluated"] += 1
            old_results = _loads(row["eligibility"])
            status_changed = status != row["status"] or (status == "registered" and kpj != row["kpj_number"])
            results_changed = not central_rules.same_outcome(old_results, results)
            base = {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"]}
            if status_changed:
                summary[status] += 1
                # a re-acceptance has its own kind: agents skip "accepted" entries
                kind = "reaccepted" if status == "accepted" else status
                entry = {**base, "kind": kind, "central_status": status, "eligibility": results}
                if status == "rejected":
                    entry["reasons"] = codes
                elif status == "registered":
                    entry.update(kpj_number=kpj, coverage_start=coverage)
                else:
                    entry.update(central_id=row["central_id"])
                updates.append(entry)
            elif results_changed and old_results is not None:
                summary["eligibility_changed"] += 1
                updates.append({**base, "kind": "eligibility", "central_status": status,
                                "eligibility": results})
            new_reasons = _json(codes) if status == "rejected" else (
                None if row["status"] == "rejected" else row["reasons"])
            writes.append((row["central_id"], status, new_reasons, kpj, coverage, _json(results), stamp,
                           now, now if (status_changed or results_changed) else row["updated_at"]))
            if status == "registered" and row["status"] != "registered" and _listed_before_file(row):
                before_file.append({**row, "status": status, "kpj_number": kpj,
                                    "coverage_start": coverage, "file_month": _file_month(row)})
            if row["kpj_claim"] is not None and status in ("accepted", "registered"):
                claims.append({**row, "status": status, "kpj_number": kpj})
            if status == "registered" and _listed(row, loaded, unreadable.get(row["nik"])) and (
                    int(row["central_id"]) in open_status
                    or not rules.is_active_status(row["bpjs_status"])):
                listed_registered.append({**row, "kpj_number": kpj, "coverage_start": coverage,
                                          "registered_now": row["status"] != "registered"})
        snapshots.write_evaluations(db, writes)
        update_store.add_updates(db, updates, now)
    if claims and loaded.get("bpjs") is not None:
        summary["kpj_claims"] = findings.kpj_claims_checked(db, claims, now)
    if before_file:
        summary["bpjs_before_file"] = findings.before_file_checked(db, before_file, now)
    if listed_registered:
        checked = findings.bpjs_status_checked(db, listed_registered, open_status, now)
        if checked["raised"] or checked["closed"]:
            summary["bpjs_status"] = checked
    summary["changed"] = (summary["rejected"] + summary["accepted"] + summary["registered"]
                          + summary["eligibility_changed"])
    return summary


def _decide(row: dict[str, Any], params: rules.Parameters, loaded: dict[str, Any], today: dt.date,
            import_month: str, refused: list[dict] | None = None,
            ) -> tuple[list[dict], str, list[str], str | None, str | None]:
    """(results, new status, rejection codes, kpj, coverage_start) for one row;
    ``refused``: the snapshot rows naming its NIK that their imports refused."""
    unreadable = central_rules.unreadable_of(refused) if refused else None
    listed = _listed(row, loaded, refused)
    # central's own memory of registering it, or the list confirming the KPJ its
    # kelurahan claims (a registration a restore made central forget)
    # (a claim the list contradicts is compared first: never registered on the list's
    # word, even for a record central had put on a file before the backup)
    ours = row["status"] == "registered" or central_rules.registered_by_program(
        row["kpj_claim"], listed, row["bpjs_kpj"], row["registration_exported_at"] is not None)
    bpjs_row = {"status": row["bpjs_status"], "kpj_number": row["bpjs_kpj"]} if listed else None
    proof = central_rules.evidence(loaded, row["desil"], bpjs_row, row["cohort_start"], ours, unreadable)
    results, codes = central_rules.decide(row, params, proof, today)
    if not ours:
        codes = central_rules.held_for_claim(codes, row["kpj_claim"])
    status, kpj, coverage = row["status"], row["kpj_number"], row["coverage_start"]
    if ours and listed and row["bpjs_kpj"]:
        status, kpj = "registered", row["bpjs_kpj"]
        # never from before the month central first put it on a file: a participation
        # older than that is someone else's (a verifier decides, findings.before_file_checked)
        coverage = coverage or (_file_month(row) if _listed_before_file(row)
                                else row["bpjs_coverage"]) or import_month
        codes = []
    elif status == "accepted" and codes:
        status = "rejected"
    elif status == "rejected" and not codes:
        status = "accepted"
    return results, status, codes, kpj, coverage


def _listed(row: dict[str, Any], loaded: dict[str, Any], refused: list[dict] | None) -> bool:
    """Whether the loaded BPJS list shows the row's NIK in a row it could read."""
    if row["bpjs_nik"] is None or loaded.get("bpjs") is None:
        return False
    return not (refused and "bpjs" in central_rules.unreadable_of(refused))


def _file_month(row: dict[str, Any]) -> str | None:
    """The month (Makassar's, YYYY-MM) central first put the record on a registration
    file; None when it never did (a KPJ claim the list confirmed after a restore)."""
    at = row.get("registration_exported_at")
    return local_time.wita_column(at)[:7] if at else None


def _listed_before_file(row: dict[str, Any]) -> bool:
    """The loaded BPJS list gives the record's participation a start month earlier
    than the month central first put it on a registration file: not the program's
    registration (the city's file cannot have registered anyone before it existed)."""
    month = _file_month(row)
    return bool(month and row.get("bpjs_coverage") and row["bpjs_coverage"] < month)
