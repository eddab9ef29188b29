"""Verifiers' decisions on likely-duplicate pairs at central: the same person (one
record kept, the other a duplicate of it) or two people. A registered record (a BPJS
participant the city pays) is never the one dropped. Plain functions (no Flask); SQL in
central/storage/findings.py. The decisions on findings are :mod:`central.verification`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berjasa.audit import Actor
from berjasa.problems import (
    AlreadyDecided,
    KeptRecordNotActive,
    NotFound,
    RegisteredAtBpjs,
    ValidationFailed,
)
from central.finding_kinds import record_trail
from central.storage import findings as store
from central.storage import pairs as pairs_store
from central.storage import records as records_store
from central.storage import updates as update_store
from central.storage.db import Database, utc_now
from central.verification_rules import (
    PAIR_DECISIONS,
    as_actor,
    check_money_reason,
    checked_reason,
    choice_message,
    judge_freed_nik,
)


def pair_decisions(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, str]:
    """The decisions a verifier may take on a pair of these two records (the page
    offers these, :func:`decide_pair` refuses the others): a registered record is
    never the one dropped, so "keep the other" is not offered against it."""
    offered = dict(PAIR_DECISIONS)
    if (a or {}).get("status") == "registered":
        offered.pop("keep_b")
    if (b or {}).get("status") == "registered":
        offered.pop("keep_a")
    return offered


def _refuse_dropping_a_registered_record(drop: dict[str, Any], keep: dict[str, Any],
                                         keep_letter: str) -> None:
    """409 ``registered_at_bpjs`` when "same person, keep the other" would make a
    registered record (a BPJS participant the city pays for) a duplicate: it names
    the decision that keeps it (the other record becomes its duplicate)."""
    if drop["status"] != "registered":
        return
    name = f"{drop['kelurahan_code']}/{drop['record_id']}"
    if keep["status"] == "registered":
        raise RegisteredAtBpjs(
            "Kedua data sudah terdaftar di BPJS (punya KPJ) dan masuk daftar iuran; pusat tidak "
            "menjadikan salah satunya duplikat. Bila keduanya orang yang sama, minta BPJS "
            "Ketenagakerjaan menonaktifkan salah satu kepesertaan; pasangan ini tetap terbuka.",
            registered=name)
    letter = "B" if keep_letter == "A" else "A"
    raise RegisteredAtBpjs(
        f"Data {name} sudah terdaftar di BPJS (punya KPJ) dan masuk daftar iuran: pendaftarannya "
        f"tetap dan ia tidak dapat menjadi duplikat. Bila keduanya orang yang sama, pilih "
        f"\"{PAIR_DECISIONS['keep_' + letter.lower()]}\" (keep_{letter.lower()}): data "
        f"{keep['kelurahan_code']}/{keep['record_id']} yang menjadi duplikatnya.",
        registered=name)


def decide_pair(db: Database, central_id_a: int, central_id_b: int, decision: str,
                reason: str | None, actor: Actor | str,
                settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A verifier's decision on a flagged pair: ``keep_a`` / ``keep_b`` (the same
    person: the other record is rejected at central as a duplicate of the one
    kept; 409 ``not_active`` when the one to keep is no longer active, 409
    ``registered_at_bpjs`` when the other one is registered at BPJS: it keeps its
    registration, keep it instead) or ``different`` (two people: nothing
    changes). Two verifiers at once:
    the first wins, the second gets 409 ``already_decided``. Both kelurahan hear
    the decision with their next pull (update kind ``duplicate_decision``). The
    dropped record frees its NIK: the records waiting for it are judged again
    (:func:`central.waiting.judge_waiting`, with the rule ``settings``)."""
    if decision not in PAIR_DECISIONS:
        raise ValidationFailed({"decision": [choice_message(PAIR_DECISIONS)]},
                               {"decision": ["invalid_choice"]})
    text = checked_reason(reason)
    who = as_actor(actor)
    actor = who.username
    a_id, b_id = sorted((int(central_id_a), int(central_id_b)))
    swapped = (a_id, b_id) != (int(central_id_a), int(central_id_b))
    if swapped and decision != "different":
        decision = {"keep_a": "keep_b", "keep_b": "keep_a"}[decision]  # as the caller named them
    now = utc_now()
    with db.transaction():
        db.lock_ingest()
        pair = pairs_store.get_pair(db, a_id, b_id)
        if pair is None or pair["a"] is None or pair["b"] is None:
            raise NotFound("Pasangan tidak ditemukan.")
        if not pairs_store.decide_pair(db, a_id, b_id, decision, text, actor, now):
            raise AlreadyDecided.by(pairs_store.get_pair(db, a_id, b_id) or {})
        a, b = pair["a"], pair["b"]
        # ids, kelurahan and statuses only: the trail outlives an erasure (no NIK, no name)
        details: dict[str, Any] = {"other": f"{b['kelurahan_code']}/{b['record_id']}",
                                   "kelurahan_code": [a["kelurahan_code"], b["kelurahan_code"]]}
        updates, freed = [], None
        for this, that, side in ((a, b, "a"), (b, a, "b")):
            updates.append({"kelurahan_code": this["kelurahan_code"], "record_id": this["record_id"],
                            "kind": "duplicate_decision", "decision": decision, "reason": text,
                            "side": side, "other": {"kelurahan_code": that["kelurahan_code"],
                                                    "record_id": that["record_id"]}})
        if decision in ("keep_a", "keep_b") and "registered" in (a["status"], b["status"]):
            check_money_reason(text)  # keeping or dropping a registered worker moves money
        if decision in ("keep_a", "keep_b"):
            drop, keep = (b, a) if decision == "keep_a" else (a, b)
            if keep["status"] not in records_store.ACTIVE:
                # keeping a rejected/erased record would leave the person with none
                raise KeptRecordNotActive(status=keep["status"])
            # a BPJS participant the city pays keeps its registration; the letters as
            # the caller named the records
            _refuse_dropping_a_registered_record(
                drop, keep, "A" if (decision == "keep_a") != swapped else "B")
            details["kept"] = f"{keep['kelurahan_code']}/{keep['record_id']}"
            details["dropped"] = f"{drop['kelurahan_code']}/{drop['record_id']}"
            # a record no longer active (rejected meanwhile) keeps its status
            details["dropped_status"] = [drop["status"], "duplicate" if drop["status"]
                                         in records_store.ACTIVE else drop["status"]]
            if drop["status"] in records_store.ACTIVE:
                freed = drop["nik"]
                store.mark_duplicate_of(db, int(drop["central_id"]), keep["kelurahan_code"],
                                        keep["record_id"], now)
                # the dropped record leaves every file: its open findings (a send-back
                # waiting for a fix too) have nothing left to decide
                details["findings_closed"] = store.close_open_findings(
                    db, int(drop["central_id"]), "same_person",
                    f"keputusan pasangan: sama orang dengan {keep['kelurahan_code']}/"
                    f"{keep['record_id']}", actor, now)
                updates.append({"kelurahan_code": drop["kelurahan_code"],
                                "record_id": drop["record_id"], "kind": "duplicate",
                                "central_status": "duplicate", "same_person": True,
                                "duplicate_of": {"kelurahan_code": keep["kelurahan_code"],
                                                 "record_id": keep["record_id"]}})
        update_store.add_updates(db, updates, now)
        if freed is not None:  # after the decision's own updates
            judge_freed_nik(db, settings, freed, who, now, details)
        record_trail(db, who, f"decision.pair.{decision}", a, details)
    return {"central_id_a": a_id, "central_id_b": b_id, "decision": decision, "reason": text}
