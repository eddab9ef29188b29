"""Central's decisions applied to the kelurahan register, through
:func:`server.lifecycle.transition` (history + audit for every change).

Batch answers: ``accepted`` -> synced; ``duplicate`` / ``rejected`` ->
central_rejected with the reason shown to the supervisor, except a ``rejected`` whose
reasons are all intake rules (:func:`berjasa.record_reasons.fixable_at_kelurahan`:
data the kelurahan corrects), which goes back to be fixed (needs_fix, central status
``sent_back``) exactly like a verifier's send-back. Updates pulled later may
move a record further (``registered`` with the KPJ number; a rejection after a
DTSEN/BPJS import). Applying the same decision twice changes nothing: a move the
lifecycle does not allow from the current status is skipped, never an error.

A batch answer (up to 1,000 records) goes through :func:`apply_batch_results`:
the same rules (:func:`server.lifecycle.check_transition`), the same history rows
and audit entries as :func:`server.lifecycle.transition` writes, but one read and
one UPDATE for the whole batch: one ``transition()`` per record (nine statements
each) cost more CPU than the 1 Mbit/s link takes to carry the batch.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.database import utc_now
from berjasa.problems import InvalidTransition, NotFound
from berjasa.record_reasons import fix_request_text, fixable_at_kelurahan
from server import lifecycle, privacy
from server.storage import enrollments as enrollment_store
from server.storage import privacy as privacy_store
from server.storage.audit import Actor, record_audit_entry
from sync import storage_central

SYNC_ACTOR = Actor("sync", "sync")
# Update kinds that change no status: kept as notices for the supervisor.
NOTICE_KINDS = frozenset({"duplicate_elsewhere", "possible_duplicate", "duplicate_decision",
                          "coverage_ended"})
# central's reasons shown to the supervisor and the enumerator start with this
SENT_BACK_PREFIX = "Dikirim balik oleh pusat: "
# ``central_rejected`` reasons a ``reaccepted`` update moves back to synced: a rule on
# a snapshot (a corrected list), or a duplicate NIK whose holder let go of it
REJUDGED = ("rejected:", "duplicate_nik:")


def reason_text(decision: dict[str, Any]) -> str | None:
    """The short reason kept in ``central_reason``: a stable code first (for
    filters), then what the supervisor needs to find the other record."""
    kind = decision.get("result") or decision.get("kind")
    if kind == "duplicate":
        other = decision.get("duplicate_of") or {}
        # a verifier found another NIK to be the same person: not "NIK active elsewhere"
        code = "duplicate_person" if decision.get("same_person") is True else "duplicate_nik"
        return (f"{code}: kelurahan {other.get('kelurahan_code', '?')},"
                f" data {other.get('record_id', '?')}")
    if kind == "rejected":
        return "rejected: " + ", ".join(decision.get("reasons") or ["tanpa alasan"])
    return None


def _fix_request(decision: dict[str, Any]) -> str | None:
    """The reason kept for a rejection the kelurahan can fix, None for any other."""
    kind = decision.get("result") or decision.get("kind")
    reasons = decision.get("reasons")
    if kind != "rejected" or not isinstance(reasons, list) or not fixable_at_kelurahan(reasons):
        return None
    return SENT_BACK_PREFIX + fix_request_text(reasons)


def _move(conn: sqlite3.Connection, record_id: str, to_status: str, central_status: str,
          reason: str | None = None, kpj_number: str | None = None) -> bool:
    """One lifecycle move; False (and nothing written) when the record is not in
    a status that allows it, e.g. the decision was already applied."""
    extra: dict[str, Any] = {"central_status": central_status}
    if reason is not None:
        extra["central_reason"] = reason
    if kpj_number is not None:
        extra["kpj_number"] = kpj_number
    try:
        lifecycle.transition(conn, record_id, to_status, SYNC_ACTOR, reason=reason, extra=extra)
    except (InvalidTransition, NotFound):
        return False
    return True


def apply_decision(conn: sqlite3.Connection, decision: dict[str, Any]) -> bool:
    """Apply one decision (a batch result or an update entry); True when the
    record changed. Call inside the transaction that stores the answer."""
    record_id = decision.get("id") or decision.get("record_id")
    kind = decision.get("result") or decision.get("kind")
    status = enrollment_store.status_of(conn, record_id)
    if status is None:
        return False
    if kind == "reaccepted":
        # a corrected DTSEN/BPJS snapshot: central accepts a record it had rejected;
        # or the record whose duplicate this was let go of the NIK (central/waiting.py)
        if status != "central_rejected" or not str(
                enrollment_store.central_reason_of(conn, record_id)).startswith(REJUDGED):
            return False
        return _move(conn, record_id, "synced", "accepted", "Diterima kembali oleh pusat.")
    if kind == "accepted":
        return status == "approved" and _move(conn, record_id, "synced", "accepted")
    fix = _fix_request(decision)
    if fix is not None:
        # central's intake refused the data: fixed here and sent again (a record
        # already being fixed, or fixed and approved again, is left alone)
        if status not in ("approved", "synced", "central_rejected"):
            return False
        state = enrollment_store.states_of(conn, [record_id]).get(record_id) or {}
        if status == "approved" and state.get("central_status") == "sent_back":
            return False  # its fix, approved and waiting to go: this is the older version's
        return _move(conn, record_id, "needs_fix", "sent_back", fix)
    if kind in ("duplicate", "rejected"):
        # needs_fix / submitted: a verifier rejected a record it had sent back (or
        # found it the same person as another) before its fix was sent
        if status == "central_rejected":
            return _reworded(conn, record_id, decision)
        if status not in ("approved", "synced", "needs_fix", "submitted"):
            return False
        return _move(conn, record_id, "central_rejected", kind, reason_text(decision))
    if kind == "needs_fix":
        # a verifier at central sent it back: the enumerator fixes it, the
        # supervisor approves again, the agent sends the new version
        if status not in ("approved", "synced"):
            return False
        reason = SENT_BACK_PREFIX + str(decision.get("reason") or "tanpa alasan")
        return _move(conn, record_id, "needs_fix", "sent_back", reason)
    if kind == "registered":
        if status == "approved":
            _move(conn, record_id, "synced", "accepted")
        return _move(conn, record_id, "registered", "registered",
                     kpj_number=str(decision.get("kpj_number") or "") or None)
    return False


def _reworded(conn: sqlite3.Connection, record_id: str, decision: dict[str, Any]) -> bool:
    """A ``duplicate`` or ``rejected`` for a record already ``central_rejected``: the
    status stays, the reason follows central, with history and audit, in two cases.
    (1) A pair decision's ``duplicate`` (``same_person``) for a record held as a
    duplicate NIK of the same other record (a batch answer that did not carry the
    marker came first: a central before it, or an answer stored before): the
    same-person wording. (2) A record waiting as a duplicate NIK (``duplicate_nik:``)
    that central judged again when the NIK was freed (central/waiting.py): now the
    duplicate of the record that took the NIK, or rejected by a rule (a later
    ``reaccepted`` then moves it). Anything else is left as it is."""
    state = enrollment_store.states_of(conn, [record_id]).get(record_id)
    wording = reason_text(decision)
    if state is None or wording is None:
        return False
    old = state.get("central_reason")
    kind = decision.get("result") or decision.get("kind")
    if decision.get("same_person") is True:
        if old != wording.replace("duplicate_person:", "duplicate_nik:", 1):
            return False
    elif not str(old).startswith("duplicate_nik:") or old == wording:
        return False
    now = utc_now()
    enrollment_store.set_statuses(conn, [{
        "id": record_id, "version": state["version"], "status": state["status"],
        "central_status": kind, "central_reason": wording, "updated_at": now}])
    enrollment_store.add_history(conn, record_id, state["version"], state["status"], now,
                                 SYNC_ACTOR.username, lifecycle.ACTIONS["central_rejected"],
                                 {"central_reason": old}, {"central_reason": wording}, wording)
    record_audit_entry(conn, SYNC_ACTOR, "enrollment.status", record_id,
                       {"central_reason": [old, wording]}, wording)
    return True


def apply_update(conn: sqlite3.Connection, entry: dict[str, Any]) -> bool:
    """Apply one ``/api/v1/updates`` entry; notices are kept, not applied. An
    ``erased`` entry (central erased the record) erases the local copy too. An entry
    about a record the register does not hold, and never erased here (a laptop
    restored from an older backup: central holds what was made since), is kept in
    ``sync_central_only`` instead of dropped: ``sync run`` and the panel say so, and
    ``berjasa sync recover`` takes those records back (sync/recover.py)."""
    record_id = str(entry.get("record_id"))
    if entry.get("kind") == "erased":
        if privacy.erase_from_central(conn, record_id):
            return True
        storage_central.forget_central_only(conn, [record_id])  # nothing left to take back
        # not held here (lost to a restore): remember the erasure, so intake refuses
        # the copy a phone may still hold
        privacy.note_central_erasure(conn, record_id, "data tidak ada di laptop ini",
                                     entry.get("enumerator"))
        return False
    if enrollment_store.status_of(conn, record_id) is None:
        if not privacy_store.erased_ids(conn, [record_id]):
            storage_central.note_central_only(conn, record_id, str(entry.get("kind")),
                                      entry.get("central_status"), int(entry.get("seq") or 0))
        return False
    results = entry.get("eligibility")
    changed = False
    if isinstance(results, list):
        changed = enrollment_store.set_central_eligibility(conn, str(entry.get("record_id")), results)
    if entry.get("kind") == "eligibility":  # rule results only, no status change
        return changed
    if entry.get("kind") in NOTICE_KINDS:
        if enrollment_store.status_of(conn, entry["record_id"]) is not None:
            storage_central.add_notice(conn, int(entry["seq"]), entry["record_id"], entry["kind"], entry)
            return True
        return False
    return apply_decision(conn, entry)


# Update kinds that set a record's status (the rest are notices and rule results)
STATUS_KINDS = frozenset({"accepted", "reaccepted", "duplicate", "rejected", "registered",
                          "needs_fix"})


def apply_recovered(conn: sqlite3.Connection, record_id: str, central: dict[str, Any],
                    entries: list[dict[str, Any]]) -> None:
    """A record just put back ``synced`` from central's copy (sync/recover.py) takes
    central's state, inside the caller's transaction: its notices and rule results,
    then the decision central's latest status entry names (as a pull would have
    applied it: ``needs_fix`` for a send-back, ``central_rejected``, ``registered``
    with its KPJ ...); without any such entry, the status the record has at central
    (``central``: ``{"status", "duplicate_of"?, "reasons"?, "kpj_number"?}``)."""
    last: dict[str, Any] | None = None
    for entry in entries:
        if isinstance(entry.get("eligibility"), list):
            enrollment_store.set_central_eligibility(conn, record_id, entry["eligibility"])
        if entry.get("kind") in NOTICE_KINDS:
            storage_central.add_notice(conn, int(entry["seq"]), record_id, entry["kind"], entry)
        elif entry.get("kind") in STATUS_KINDS:
            last = entry
    if last is None:
        last = {**central, "kind": central.get("status")}
    if last.get("kind") not in ("accepted", "reaccepted"):
        apply_decision(conn, {**last, "record_id": record_id})


def _batch_move(decision: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Target status and central columns for one batch result."""
    kind = decision.get("result")
    if kind == "accepted":
        return "synced", {"central_status": "accepted", "central_reason": None}
    fix = _fix_request(decision)
    if fix is not None:
        return "needs_fix", {"central_status": "sent_back", "central_reason": fix}
    if kind in ("duplicate", "rejected"):
        return "central_rejected", {"central_status": kind, "central_reason": reason_text(decision)}
    return None


# central's reason when it refuses a record it has erased (central/ingest.py _result)
ERASED_AT_CENTRAL_REASON = "erased"
ERASED_ANSWER_REASON = "pusat menolak data ini karena sudah menghapusnya"


def erased_at_central(decision: dict[str, Any]) -> bool:
    """A batch result refusing the record because central erased it."""
    return decision.get("result") == "rejected" \
        and ERASED_AT_CENTRAL_REASON in (decision.get("reasons") or [])


def apply_batch_results(conn: sqlite3.Connection, results: list[dict[str, Any]]) -> int:
    """Apply a batch answer's results in bulk (inside the caller's transaction);
    the number of records changed. Moves the lifecycle refuses are skipped. A
    record central refuses as ``erased`` (erased there, e.g. while this laptop was
    restored from an older backup) is erased here too, as an ``erased`` update
    does: never kept as ``central_rejected`` with the person's data; the
    compaction is owed to the end of the run (server/storage/privacy.py)."""
    moves = []
    erased = 0
    for result in results:
        if erased_at_central(result):
            erased += privacy.erase_from_central(conn, str(result["id"]), ERASED_ANSWER_REASON)
            continue
        move = _batch_move(result)
        if move is not None:
            moves.append((result["id"], *move))
    if erased:
        privacy_store.owe_compaction(conn)
    return lifecycle.transition_many(conn, moves, SYNC_ACTOR) + erased


def apply_updates(conn: sqlite3.Connection, entries: list[Any]) -> tuple[int, int]:
    """Apply central's decisions in order, inside the caller's transaction (a pulled
    page, or an answers file from a stick): (how many changed something, how many
    of those were erasures: the caller then runs :func:`after_erasures`)."""
    applied = erased = 0
    for entry in entries:
        changed = apply_update(conn, entry)
        applied += changed
        erased += changed and entry.get("kind") == "erased"
    return applied + reopen_fixable_rejections(conn), erased


def reopen_fixable_rejections(conn: sqlite3.Connection) -> int:
    """Records an older agent left ``central_rejected`` for intake reasons (data the
    kelurahan can fix) go back to be fixed, as the answer would move them now; the
    number moved. Inside the caller's transaction; nothing to do is one query."""
    moved = 0
    for row in enrollment_store.central_rule_rejections(conn):
        codes = str(row["central_reason"]).partition(": ")[2].split(", ")
        if fixable_at_kelurahan(codes):
            moved += apply_decision(conn, {"id": row["id"], "result": "rejected", "reasons": codes})
    return moved


def after_erasures(conn: sqlite3.Connection) -> None:
    """Once erasures from central are committed: checkpoint and VACUUM so no
    readable copy stays in the database or its WAL (outside any transaction)."""
    privacy_store.compact(conn)
