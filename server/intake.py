"""Enrollment intake: creating, replaying and editing records. Plain functions
over a connection; the HTTP layer only parses and shapes.

Replay rules (design.md): the same ``id`` with the same content as first received
is a retry and answers 200 with the stored record; the same ``id`` with other
content is 409 ``id_conflict``; a NIK that already has an active enrollment is
409 ``duplicate_nik``; the id of a record erased under UU PDP (a phone resending it)
is 409 ``erased`` and nothing is stored. Every write is one transaction,
acknowledged after commit. Here a payload is validated (:func:`prepare`), handed to
the group-commit writer (:mod:`server.intake_writer`, which decides and stores it),
edited, and shown; ``Outcome``, ``Prepared``, ``group_writer`` and
``identity_warnings`` are the writer's, importable from here as before.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from marshmallow import ValidationError

from berjasa.canonical import canonical_bytes
from berjasa.compiled_schema import NeedsFullLoad
from berjasa.database import transaction, utc_now
from berjasa.enrollment_schema import (
    EnrollmentSchema,
    consent_time_held,
    loaders,
    to_storable,
)
from berjasa.group_commit import GroupCommit
from berjasa.problems import (
    InvalidTransition,
    NotFound,
    Problem,
    ValidationFailed,
    VersionMismatch,
)
from berjasa.record_reasons import names_consent
from server import eligibility, erased_niks, lifecycle
from server.intake_writer import Batch, Outcome, Prepared, group_writer, identity_warnings
from server.schemas.messages import flatten_errors
from server.storage import enrollments as store
from server.storage.audit import Actor, record_audit_entry

EDITABLE_STATUSES = ("submitted", "needs_fix")
WRITER_EXTENSION = "berjasa.enrollment_writer"  # the app's group_writer(), in app.extensions
_CLIENT_KEYS = frozenset(store.CLIENT_FIELDS)


def enrollment_schema(settings: dict[str, Any]) -> EnrollmentSchema:
    """The Enrollment schema for these settings (cached)."""
    return loaders(settings)[0]


def load_enrollment(payload: Any, settings: dict[str, Any],
                    partial: bool = False, held_consent_at: str | None = None) -> dict[str, Any]:
    """Validate a client payload into clean values, or raise ValidationFailed
    naming every bad field. A valid payload takes the schema's compiled path; any
    doubt goes through marshmallow itself, which names the errors.
    ``held_consent_at``: the stored record's consent time (an edit), not judged
    again when the payload keeps it (docs/api.md, ``consent.at``)."""
    schema, compiled = loaders(settings, consent_time_held(payload, held_consent_at))
    if not partial:
        try:
            return compiled.load(payload)
        except NeedsFullLoad:
            pass
    try:
        data = schema.load(payload, partial=partial)
    except ValidationError as exc:
        errors, codes = flatten_errors(exc.messages)
        raise ValidationFailed(errors, codes) from exc
    return data


def content_hash(values: dict[str, Any]) -> str:
    """A hash of a record's client content, to tell a retry from a conflict."""
    content = values  # a loaded record holds exactly the client fields
    if values.keys() != _CLIENT_KEYS:
        content = {k: values.get(k) for k in store.CLIENT_FIELDS}
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def prepare(payload: Any, settings: dict[str, Any]) -> Prepared:
    """Validate a payload (ValidationFailed naming every bad field) for storing."""
    values = to_storable(load_enrollment(payload, settings))
    return Prepared(values, content_hash(values))


def create_enrollment(conn: sqlite3.Connection, payload: Any, actor: Actor,
                      settings: dict[str, Any], writer: GroupCommit | None = None) -> Outcome:
    """Validate and store one enrollment (201), or recognise a retry (200).
    ``writer`` (the app's :func:`group_writer`) lets concurrent POSTs share one
    transaction; without it the record is written alone. Either way the answer
    comes after the commit that holds it."""
    item = prepare(payload, settings)
    outcome = (writer or group_writer()).write(conn, (item, actor))
    if isinstance(outcome, Problem):
        raise outcome
    # The answer is the record as stored: a new one's row is known from the columns
    # written; a retry's is read (the plan held only its keys).
    stored = store.stored_row(outcome.columns) if outcome.columns is not None else None
    return Outcome(outcome.status, stored or store.get_enrollment(conn, item.values["id"]))


def create_batch(conn: sqlite3.Connection, items: list[Any], actor: Actor,
                 settings: dict[str, Any], writer: GroupCommit | None = None
                 ) -> list[dict[str, Any]]:
    """Store an outbox: one result per item, in order; one bad item never blocks
    the others. Every item is validated first; then one transaction (one fsync)
    decides each item in order as :func:`create_enrollment` would, from the ids and
    NIKs held, and writes the new records and their audit entries with one
    statement per table. ``writer`` (the app's :func:`group_writer`) writes it on
    the writer's own connection, in a group with any single POSTs that arrive
    meanwhile: its multi-row statements stay prepared there and its pages cached,
    where each request thread's connection would prepare and read them again."""
    prepared: list[Prepared | Problem] = []
    for payload in items:
        try:
            prepared.append(prepare(payload, settings))
        except Problem as problem:
            prepared.append(problem)
    outcomes = (writer or group_writer()).write(conn, Batch(prepared, actor))
    return [_result(payload, outcome) for payload, outcome in zip(items, outcomes)]


def _result(payload: Any, outcome: Outcome | Problem) -> dict[str, Any]:
    """One item's entry in the batch answer."""
    if isinstance(outcome, Problem):
        item_id = payload.get("id") if isinstance(payload, dict) else None
        return {"id": item_id, "status": outcome.status, **outcome.to_dict()}
    return {"id": outcome.record["id"], "status": outcome.status,
            "version": outcome.record["version"]}


def edit_enrollment(conn: sqlite3.Connection, enrollment_id: str, payload: Any,
                    expected_version: int, actor: Actor, settings: dict[str, Any],
                    resubmit: bool | None = None) -> dict:
    """Change fields of a submitted or needs-fix record (If-Match version). The
    status after the edit is :func:`server.lifecycle.status_after_edit`'s: the
    enumerator's edit of a needs-fix record is the fix (back to submitted); a
    supervisor's keeps it waiting for the fix unless ``resubmit``; that move is made
    even when no field changed (a new version). Old values go to history."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"_body": ["Harus berupa objek JSON."]}, {"_body": ["not_object"]})
    if "id" in payload and payload["id"] != enrollment_id:
        raise ValidationFailed({"id": ["ID tidak boleh diubah."]}, {"id": ["id_immutable"]})
    with transaction(conn):
        current = store.get_enrollment(conn, enrollment_id)
        if current is None:
            raise NotFound()
        if actor.role == "enumerator" and current["enumerator"] != actor.username:
            raise NotFound()
        if current["status"] not in EDITABLE_STATUSES:
            raise InvalidTransition(current_status=current["status"])
        if current["version"] != expected_version:
            raise VersionMismatch(current_version=current["version"])
        merged = {k: current[k] for k in store.CLIENT_FIELDS}
        merged.update({k: v for k, v in payload.items() if k != "id"})
        values = to_storable(load_enrollment(_as_input(merged), settings,
                                             held_consent_at=_held_consent_at(current)))
        changed = {k: values[k] for k in store.CLIENT_FIELDS if values[k] != current[k]}
        new_status = lifecycle.status_after_edit(current["status"], actor.role, resubmit)
        if not changed and new_status == current["status"]:
            return current  # nothing to save, nowhere to move: no new version
        # A sent-back record returned with no change ("I checked it, it is right now")
        # still moves, as a new version (the phone and the sync agent see it by that)
        # and an "edit" in history (its editor is a maker: server.review.is_maker).
        warnings = identity_warnings(values) + erased_niks.warnings_for(conn, values)
        changes = {**changed, "warnings": warnings, "status": new_status,
                   "last_edited_by": actor.username, "updated_at": utc_now()}
        if not store.update_enrollment(conn, enrollment_id, changes, expected_version):
            raise VersionMismatch()
        old = {k: current[k] for k in changed}
        store.add_history(conn, enrollment_id, current["version"], current["status"],
                          changes["updated_at"], actor.username, "edit",
                          old or {"status": current["status"]}, changed or {"status": new_status})
        record_audit_entry(conn, actor, "enrollment.edit", enrollment_id,
                           audit_changes(old, changed, current["status"], new_status))
    return store.get_enrollment(conn, enrollment_id)


def _held_consent_at(record: dict[str, Any]) -> str | None:
    """The stored consent time an edit keeps without it being judged again (a record
    stored before the consent-time bounds), or None: also when the record was sent
    back for its consent, by central (``invalid_consent``: "Catatan persetujuan tidak
    sah") or by a supervisor, whose reason names it (``names_consent``): a fix that
    keeps the refused time is then refused here (422 on ``consent.at``), not approved
    and sent to central again (docs/api.md, ``consent.at``)."""
    reasons = [record.get("review_reason") if record["status"] == "needs_fix" else None,
               record.get("central_reason") if record.get("central_status") == "sent_back"
               else None]
    if names_consent(reasons):
        return None
    consent = record["consent"]
    return consent.get("at") if isinstance(consent, dict) else None


def audit_changes(old: dict[str, Any], new: dict[str, Any], old_status: str,
                  new_status: str) -> dict[str, list]:
    """Before/after pairs for the audit trail; NIK and KK only masked there."""
    changes = {}
    for field, after in new.items():
        before = old.get(field)
        if field in ("nik", "kk_number"):
            before, after = mask_number(before), mask_number(after)
        changes[field] = [before, after]
    if old_status != new_status:
        changes["status"] = [old_status, new_status]
    return changes


def mask_number(value: Any) -> Any:
    """A NIK/KK as 737101******0001: enough to recognise, not enough to misuse."""
    if not isinstance(value, str) or len(value) != 16:
        return value
    return value[:6] + "*" * 6 + value[-4:]


def _as_input(values: dict[str, Any]) -> dict[str, Any]:
    """A stored record as a client payload again (drop empty optionals)."""
    return {k: v for k, v in values.items() if v is not None}


def visible_record(conn: sqlite3.Connection, enrollment_id: str, actor: Actor) -> dict:
    """A record as this user may see it (enumerators: only their own)."""
    record = store.get_enrollment(conn, enrollment_id)
    if record is None or (actor.role == "enumerator" and record["enumerator"] != actor.username):
        raise NotFound()
    return record


def present(record: dict[str, Any], settings: dict[str, Any], site_kelurahan: str,
            with_history: list | None = None) -> dict[str, Any]:
    """The API view of a stored record."""
    out = {k: record[k] for k in store.CLIENT_FIELDS}
    out.update({
        "status": record["status"],
        "version": record["version"],
        "enumerator": record["enumerator"],
        "last_edited_by": record["last_edited_by"],
        "received_at": record["received_at"],
        "updated_at": record["updated_at"],
        "reviewed_by": record["reviewed_by"],
        "reviewed_at": record["reviewed_at"],
        "review_reason": record["review_reason"],
        "warnings": record["warnings"],
        "eligibility": eligibility.evaluate(record, settings, site_kelurahan),
        "central": {"status": record["central_status"], "reason": record["central_reason"],
                    "kpj_number": record["kpj_number"]},
    })
    if with_history is not None:
        out["history"] = with_history
    return out

