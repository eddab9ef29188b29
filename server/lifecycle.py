"""The status lifecycle of an enrollment, as data, and the one function that moves
a record from one status to another (design.md, "Status lifecycle")::

    submitted -> approved -> synced -> registered
              -> needs_fix -> submitted   (the fix: the enumerator's edit)
              -> rejected
    approved  -> central_rejected
    synced    -> needs_fix          (sent back by a verifier at central)
    needs_fix / submitted -> central_rejected   (a verifier's final decision meanwhile)
    central_rejected -> needs_fix   (central refused it by an intake rule: a data fix)
    central_rejected -> rejected    (a duplicate of a record `sync recover` brought back)

Every move goes through :func:`transition`: it checks the move against
:data:`TRANSITIONS` and the actor's role, changes the row only if nobody changed
it first (conditional UPDATE on the version read, inside ``BEGIN IMMEDIATE``), bumps
the version, keeps the replaced values in ``enrollment_history`` and appends an
audit entry (who, role, when, from, to, reason). No Flask in here: the review
service, the sync agent and tests call it directly.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.checks import has_visible_text
from berjasa.database import transaction, utc_now
from berjasa.problems import Forbidden, InvalidTransition, NotFound, ValidationFailed
from server.storage import enrollments as store
from server.storage.audit import Actor, AuditItem, record_audit_entries, record_audit_entry

SUPERVISOR, ENUMERATOR = "supervisor", "enumerator"
# The sync agent acts as a machine; it may use either role name.
SYNC_ROLES = frozenset({"sync", "system"})

STATUSES = ("submitted", "needs_fix", "approved", "rejected", "synced", "registered",
            "central_rejected")

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("submitted", "approved"): frozenset({SUPERVISOR}),
    ("submitted", "rejected"): frozenset({SUPERVISOR}),
    ("submitted", "needs_fix"): frozenset({SUPERVISOR}),
    ("needs_fix", "submitted"): frozenset({ENUMERATOR, SUPERVISOR}),
    ("approved", "synced"): SYNC_ROLES,
    ("approved", "central_rejected"): SYNC_ROLES,
    ("synced", "registered"): SYNC_ROLES,
    # Central may reject a record it accepted earlier once it learns more (a DTSEN
    # or BPJS list loaded later); the pull brings that back here.
    ("synced", "central_rejected"): SYNC_ROLES,
    # ... and accept it again when a corrected snapshot no longer proves it ineligible.
    ("central_rejected", "synced"): SYNC_ROLES,
    # A verifier at central sends the record back to be fixed (the pull brings
    # the reason); approved: central's answer to the batch was not stored yet.
    ("synced", "needs_fix"): SYNC_ROLES,
    ("approved", "needs_fix"): SYNC_ROLES,
    # A verifier's final decision (reject, or "same person" in a pair) on a record
    # that was sent back: it reaches the record wherever its fix stands.
    ("needs_fix", "central_rejected"): SYNC_ROLES,
    ("submitted", "central_rejected"): SYNC_ROLES,
    # Central refused it by an intake rule (data the kelurahan can correct: a work
    # category central does not list, another kelurahan's code): it goes back to be
    # fixed like a send-back (approved/synced -> needs_fix above); from
    # central_rejected when an older agent had applied that answer as a rejection.
    ("central_rejected", "needs_fix"): SYNC_ROLES,
    # A record recorded again after the laptop lost the original (restored from an
    # older backup), refused by central as a duplicate of that original: rejected here
    # when `berjasa sync recover` brings the original back (sync/recover.py).
    ("central_rejected", "rejected"): SYNC_ROLES,
}

# Decisions that need a reason: the enumerator or the worker must be told why.
REASON_REQUIRED = frozenset({"rejected", "needs_fix"})

# The verb kept in enrollment_history.action for each target status.
ACTIONS = {
    "approved": "approve", "rejected": "reject", "needs_fix": "needs_fix",
    "submitted": "resubmit", "synced": "sync", "registered": "register",
    "central_rejected": "central_reject",
}

# Columns a transition may set beside the status (review and central outcomes).
EXTRA_COLUMNS = frozenset({
    "reviewed_by", "reviewed_at", "review_reason", "central_status", "central_reason",
    "kpj_number",
})


def allowed_targets(from_status: str, role: str) -> list[str]:
    """The statuses a record in ``from_status`` may move to for this role."""
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == from_status and role in roles]


def status_after_edit(status: str, role: str, resubmit: bool | None = None) -> str:
    """The status a record keeps or takes when its fields are edited
    (:func:`server.intake.edit_enrollment`; docs/roles.md, "Editing a record sent back").

    A ``needs_fix`` record waits for the fix of the person asked to make it, the
    enumerator: their edit is the fix and returns it to ``submitted``. Anyone else's
    edit meanwhile (a supervisor correcting another field) is kept and the record keeps
    waiting, with its send-back reason, unless they say the edit is the fix
    (``resubmit``; its default is true for the enumerator, false for anyone else).
    Every other editable status is kept. A move is checked against :data:`TRANSITIONS`
    (Forbidden for a role that may not make it)."""
    if status != "needs_fix":
        return status
    if resubmit is None:
        resubmit = role == ENUMERATOR
    if not resubmit:
        return status
    check_transition(status, "submitted", role)
    return "submitted"


def check_transition(from_status: str, to_status: str, role: str) -> None:
    """Raise InvalidTransition (409, with the current status) for a move the
    lifecycle does not have, Forbidden (403) for a role that may not make it."""
    roles = TRANSITIONS.get((from_status, to_status))
    if roles is None:
        raise InvalidTransition(current_status=from_status)
    if role not in roles:
        raise Forbidden()


def transition_many(conn: sqlite3.Connection, moves: list[tuple[str, str, dict[str, Any]]],
                    actor: Actor) -> int:
    """Move many records at once (a sync batch answer): ``moves`` holds
    ``(enrollment_id, to_status, extra)`` with ``extra`` the central columns
    (``central_status``, ``central_reason``). Moves the role may not make, and
    records that are gone, are skipped; history and audit as :func:`transition`.
    Call inside the caller's transaction; the number of records changed."""
    states = store.states_of(conn, [record_id for record_id, _, _ in moves])
    now = utc_now()
    changes, moved = [], []
    for record_id, to_status, extra in moves:
        current = states.get(record_id)
        if current is None:
            continue
        try:
            check_transition(current["status"], to_status, actor.role)
        except (InvalidTransition, Forbidden):
            continue
        changes.append({"id": record_id, "version": current["version"], "status": to_status,
                        "updated_at": now, **extra})
        moved.append((current, to_status, extra))
    store.set_statuses(conn, changes)
    audits: list[AuditItem] = []
    for change, (current, to_status, extra) in zip(changes, moved):
        record_id, reason = change["id"], extra.get("central_reason")
        old = {k: current.get(k) for k in extra}
        old["status"] = current["status"]
        store.add_history(conn, record_id, current["version"], current["status"], now,
                          actor.username, ACTIONS[to_status], old, {**extra, "status": to_status},
                          reason)
        audit = {"status": [current["status"], to_status]}
        audit.update({k: [old.get(k), v] for k, v in extra.items() if old.get(k) != v})
        audits.append(("enrollment.status", record_id, audit, reason))
    # One append for the whole answer: the chain is the same as entry by entry,
    # without reading the chain head and the key again for each of 500 records.
    record_audit_entries(conn, actor, audits)
    return len(changes)


def transition(conn: sqlite3.Connection, enrollment_id: str, to_status: str, actor: Actor,
               reason: str | None = None, expected_status: str | None = None,
               extra: dict[str, Any] | None = None,
               audit_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move one record to ``to_status`` and return it as stored afterwards.

    ``expected_status``: the status the caller saw (a review page, a sync batch);
    if the record has moved since, 409 ``invalid_transition`` with the current status.
    ``extra``: other columns to set in the same write (see :data:`EXTRA_COLUMNS`).
    ``audit_extra``: more facts for history and audit (e.g. overridden warnings).
    Runs in its own transaction, or in a savepoint of the caller's.
    """
    extra = dict(extra or {})
    unknown = set(extra) - EXTRA_COLUMNS
    if unknown:
        raise ValueError(f"transition cannot set {sorted(unknown)}")
    if to_status not in STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    reason = (reason.strip() or None) if isinstance(reason, str) else None
    if to_status in REASON_REQUIRED and not has_visible_text(reason):
        raise ValidationFailed({"reason": ["Alasan wajib diisi untuk keputusan ini."]},
                               {"reason": ["reason_required"]})
    with transaction(conn):
        current = store.get_enrollment(conn, enrollment_id)
        if current is None:
            raise NotFound()
        from_status = current["status"]
        if expected_status is not None and from_status != expected_status:
            raise InvalidTransition(current_status=from_status)
        check_transition(from_status, to_status, actor.role)
        now = utc_now()
        changes = {**extra, "status": to_status, "updated_at": now}
        # The version condition makes the write lose cleanly if another writer
        # got in between (two tabs, the agent and a supervisor).
        if not store.update_enrollment(conn, enrollment_id, changes, current["version"]):
            latest = store.get_enrollment(conn, enrollment_id)
            raise InvalidTransition(current_status=latest["status"] if latest else None)
        old = {k: current.get(k) for k in extra}
        old["status"] = from_status
        new = {**extra, "status": to_status, **(audit_extra or {})}
        store.add_history(conn, enrollment_id, current["version"], from_status, now,
                          actor.username, ACTIONS[to_status], old, new, reason)
        audit_changes: dict[str, Any] = {"status": [from_status, to_status]}
        for key, value in extra.items():
            if old.get(key) != value:
                audit_changes[key] = [old.get(key), value]
        for key, value in (audit_extra or {}).items():
            audit_changes[key] = [None, value]
        record_audit_entry(conn, actor, "enrollment.status", enrollment_id, audit_changes,
                           reason)
    return store.get_enrollment(conn, enrollment_id)
