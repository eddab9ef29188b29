"""What central answers for a decided batch (central/ingest.py decides it): each
record's protocol result, the update entries the decisions cause for the kelurahan,
and the batch's ``batch.receive`` entry in central's trail. Counts, ids, codes and
hashes only in the trail, never a NIK or a name (the trail outlives an erasure)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from berjasa.audit import Actor
from central.storage import records as store
from central.storage.db import Database
from central.trail import record as record_in_trail
from central.trail_targets import code_only
from sync import protocol


@dataclass(frozen=True)
class Delivery:
    """How a batch reached central, for its trail entry: ``via`` (``http`` or
    ``usb``), the SHA-256 of the body as received, and the sender's address."""

    via: str
    body_sha256: str
    address: str | None = None


def record_receipt(db: Database, batch: protocol.Batch, results: list[dict[str, Any]],
                   body_bytes: int, digest: str, delivery: Delivery) -> None:
    """The ``batch.receive`` entry, by the sending device: who delivered what and
    when, and each record as a target with its answer (:func:`receipt_targets`).
    Counts, ids, codes and hashes only, never a NIK or a name (the trail outlives an
    erasure). Appended last, so the trail's lock is held only until the commit."""
    answers = Counter(result["result"] for result in results)
    record_in_trail(db, Actor(batch.device_id, "device", delivery.address), "batch.receive",
                 f"batch:{batch.batch_id}", {
                     "device_id": batch.device_id, "kelurahan_code": batch.kelurahan_code,
                     "batch_id": batch.batch_id, "records": len(batch.records),
                     "answers": {name: answers.get(name, 0)
                                 for name in ("accepted", "duplicate", "rejected")},
                     "erased": sum(1 for r in results if r.get("reasons") == ["erased"]),
                     "via": delivery.via, "body_sha256": delivery.body_sha256,
                     "body_bytes": body_bytes, "content_hash": digest},
                 targets=receipt_targets(batch, results))


def receipt_targets(batch: protocol.Batch, results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each record of the batch that has an id, as ``(KELURAHAN/RECORD_ID, outcome)``:
    the answer, the version sent, and a rejection's reason codes (``rejected v2:
    invalid_nik``; a verifier's free-text reason as ``verifier_rejected``)."""
    targets = []
    for sent, result in zip(batch.records, results):
        record_id = result.get("id")
        if not isinstance(record_id, str) or not record_id:
            continue
        version = sent.get("version")
        outcome = result["result"] + (f" v{version}" if isinstance(version, int) else "")
        if result.get("reasons"):
            outcome += ": " + ",".join(code_only(str(r)) for r in result["reasons"])
        targets.append((f"{batch.kelurahan_code}/{record_id}", outcome))
    return targets


def result_of(row: dict[str, Any], same_person: bool = False) -> dict[str, Any]:
    """The protocol result of a stored row (new, or held from an earlier batch).
    ``same_person``: a duplicate by a verifier's pair decision, marked inside
    ``duplicate_of`` (an optional key older agents ignore; docs/sync-protocol.md)."""
    result: dict[str, Any] = {"id": row["record_id"]}
    status = row["status"]
    if status == "erased":  # protocol 1 knows three results: an erased record is refused
        return {**result, "result": "rejected", "reasons": ["erased"]}
    result["result"] = "accepted" if status in store.ACTIVE else status
    if status in store.ACTIVE:
        result["central_id"] = row["central_id"]
    if status == "duplicate":
        result["duplicate_of"] = {"kelurahan_code": row["duplicate_of_kelurahan"],
                                  "record_id": row["duplicate_of_record"]}
        if same_person:
            result["duplicate_of"]["same_person"] = True
    if status == "rejected":
        reasons = row["reasons"]
        result["reasons"] = reasons if isinstance(reasons, list) else json_list(reasons)
    return result


def updates_for(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Update entries for a newly decided record (and the NIK holder, if any)."""
    base = {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"]}
    if row["status"] == "accepted":
        accepted = {**base, "kind": "accepted", "central_status": "accepted",
                    "central_id": row["central_id"], "checks": row["checks"]}
        if not any(c["result"] == "fail" for c in row["checks"] or ()):
            return [accepted]
        # accepted but a rule fails (kept off the registration file): the agent
        # skips "accepted" entries, so the supervisor hears it through this one
        return [accepted, {**base, "kind": "eligibility", "central_status": "accepted",
                           "eligibility": row["checks"]}]
    if row["status"] == "rejected":
        return [{**base, "kind": "rejected", "central_status": "rejected", "reasons": row["reasons"]}]
    if row["status"] == "registered":
        # a registered record's fix: the batch answer says accepted, this puts it
        # back to registered (with its KPJ) at the kelurahan
        return [{**registered_update(row), "eligibility": row["checks"]}]
    holder = {"kelurahan_code": row["duplicate_of_kelurahan"], "record_id": row["duplicate_of_record"]}
    return [
        {**base, "kind": "duplicate", "central_status": "duplicate", "duplicate_of": holder},
        {**holder, "kind": "duplicate_elsewhere",
         "other": {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"]}},
    ]


def registered_update(row: dict[str, Any]) -> dict[str, Any]:
    """The ``registered`` update entry of a registered record (with its KPJ)."""
    return {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"],
            "kind": "registered", "central_status": "registered",
            "kpj_number": row.get("kpj_number"), "coverage_start": row.get("coverage_start"),
            "central_id": row["central_id"]}


def json_list(text: str | None) -> list:
    """A list stored as JSON text."""
    return json.loads(text) if text else []
