"""Verification at central, the verifiers' side: sending a record back to its
kelurahan, verifiers' decisions on findings, and the queue they work from. Plain
functions (no Flask); SQL in central/storage/findings.py. The decisions on
likely-duplicate pairs are :mod:`central.verification_pairs`, what every decision
shares (the decisions offered, their labels, the reason) :mod:`central.verification_rules`;
this module names them too, so callers reach the verifiers' side in one place. The
findings central raises and closes by itself (the DTSEN check, a fixed record's
arrival, KPJ claims against the BPJS list) are :mod:`central.findings`.

A finding is never a rejection. While a record has an open finding it stays off
the BPJS registration file (and a registered worker off the payment list); a verifier
decides: ``confirm`` (the identity is right, the record goes on), ``send_back`` (the
record goes back to its kelurahan as ``needs_fix`` with the reason) or ``reject``
(central rejects it, with the reason; the kelurahan hears it with the next pull).
Some kinds have decisions of their own (:data:`KIND_DECISIONS`): a death Dukcapil
reports and a registered worker's status on the BPJS list are answered ``continue``
(still alive, still a participant) or ``end_coverage`` (the participation ended: paid
up to this month, docs/central.md "When participation ends").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berjasa import local_time
from berjasa.audit import Actor
from berjasa.eligibility import is_refused_status
from berjasa.erasure import checked_nik
from berjasa.problems import (
    AlreadyDecided,
    AlreadySentBack,
    KeptByPairDecision,
    NotActiveAtCentral,
    NotFound,
    RegisteredAtBpjs,
    RegisteredAtCentral,
    ValidationFailed,
)
from central.export_bpjs import kpj_claims_held
from central.finding_kinds import (
    BEFORE_FILE_FINDING,
    CLAIM_FINDING,
    DEATH_FINDING,
    PARTICIPATION_FINDINGS,
    STATUS_FINDING,
    VERIFIER_REJECTION,
    raise_finding,
    record_trail,
)
from central.storage import findings as store
from central.storage import pairs as pairs_store
from central.storage import records as records_store
from central.storage import updates as update_store
from central.storage.db import Database, utc_now
from central.verification_pairs import decide_pair, pair_decisions
from central.verification_rules import (
    CONTINUE,
    DECISION_VALUES,
    END_COVERAGE,
    FINDING_DECISIONS,
    KIND_DECISIONS,
    KIND_LABELS,
    MONEY_DECISIONS,
    PAIR_DECISIONS,
    as_actor,
    check_money_reason,
    checked_reason,
    choice_message,
    finding_decisions,
    judge_freed_nik,
)

# the verifiers' side in one name: the pages, the CLI and the tests call these here
__all__ = ["CONTINUE", "DECISION_VALUES", "END_COVERAGE", "FINDING_DECISIONS", "KIND_DECISIONS",
           "KIND_LABELS", "PAIR_DECISIONS", "decide_finding", "decide_pair", "finding_decisions",
           "never_a_participant", "pair_decisions", "queue", "send_back", "summary"]


# --- send back ----------------------------------------------------------------------


def send_back(db: Database, nik: str, reason: str | None, actor: Actor | str) -> dict[str, Any]:
    """Send the active record holding ``nik`` back to its kelurahan as
    ``needs_fix`` with ``reason``: an open ``sent_back`` finding keeps it off the
    registration file until the fix arrives, and an update entry of kind
    ``needs_fix`` reaches the kelurahan with its next pull.
    ``nik`` is read as every NIK a person types (spaces removed, the core's check:
    422 naming what is wrong). 409 ``already_registered`` when the record is
    registered at BPJS (the answer names its KPJ and what to do instead), 409
    ``not_active`` when central holds no active record for the NIK,
    409 ``already_sent_back`` when it is waiting for a fix already."""
    text = checked_reason(reason)
    nik = checked_nik(nik if isinstance(nik, str) else "")
    now = utc_now()
    with db.transaction():
        db.lock_ingest()  # update sequence numbers commit in order (central.ingest)
        record = store.record_by_nik(db, nik)
        if record is None:
            raise NotFound("NIK ini tidak ada di registri pusat.")
        if record["status"] != "accepted":
            raise _not_sendable(db, record)
        return _send_back_record(db, record, text, as_actor(actor), now)


def _not_sendable(db: Database, record: dict[str, Any]) -> NotActiveAtCentral:
    """Why a record that is not ``accepted`` cannot be sent back: a registered one
    is named for what it is (registered, its KPJ, what to do instead), any other
    is no longer active at central."""
    if record["status"] != "registered":
        return NotActiveAtCentral(status=record["status"])
    held = store.record_by_id(db, int(record["central_id"])) or {}
    kpj = held.get("kpj_number") or "(belum tercatat)"
    since = f", iuran dibayar sejak {held['coverage_start']}" if held.get("coverage_start") else ""
    return RegisteredAtCentral(
        f"Data ini sudah terdaftar di BPJS dengan KPJ {kpj}{since}, jadi tidak dapat dikirim "
        "balik: kelurahan mencatatnya terdaftar dan tidak dapat mengubahnya. Bila datanya "
        "salah, ajukan perubahan data peserta KPJ itu ke BPJS Ketenagakerjaan; bila orangnya "
        "meninggal atau bukan peserta lagi, iurannya dihentikan lewat temuannya di halaman "
        "Verifikasi (Dukcapil atau daftar peserta BPJS).", status="registered")


def _send_back_record(db: Database, record: dict[str, Any], text: str, who: Actor,
                      now: str) -> dict[str, Any]:
    """Inside the caller's transaction (ingest lock held)."""
    actor = who.username
    finding = raise_finding(db, record, "sent_back", "verifier",
                            {"reason": text, "version": record.get("version")},
                            raised_by=actor, at=now)
    if finding is None:
        raise AlreadySentBack()
    update_store.add_updates(db, [{
        "kelurahan_code": record["kelurahan_code"], "record_id": record["record_id"],
        "kind": "needs_fix", "central_status": "sent_back", "reason": text,
        "central_id": record["central_id"], "version": record.get("version"),
        "by": actor}], now)
    # the record keeps its place (status accepted) while the kelurahan fixes it; the
    # central status both ends read is sent_back (the kelurahan's record: needs_fix)
    record_trail(db, who, "decision.send_back", record,
                 {"finding_id": finding, "kelurahan_code": record["kelurahan_code"],
                  "version": record.get("version"), "status": [record["status"], "sent_back"]})
    return {"central_id": record["central_id"], "kelurahan_code": record["kelurahan_code"],
            "record_id": record["record_id"], "version": record.get("version"),
            "status": "sent_back", "reason": text, "finding_id": finding}


# --- deciding findings ----------------------------------------------------------------


def decide_finding(db: Database, finding_id: int, decision: str, reason: str | None,
                   actor: Actor | str, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A verifier's decision on an open finding (see the module docstring); the
    values each kind takes are :func:`finding_decisions`'. ``end_coverage`` (a death,
    or the BPJS list's status, confirmed): a registered worker is paid up to this
    month (WITA) and leaves the payment list from the next, stays registered, and the
    kelurahan hears ``coverage_ended``; an accepted record (a death Dukcapil reported
    before registration) is rejected by the verifier, so it never goes on a file. A
    rejection frees the record's NIK: the records waiting for it are judged again
    (:func:`central.waiting.judge_waiting`, with the rule ``settings``)."""
    try:
        text, reason_problem = checked_reason(reason), None
    except ValidationFailed as problem:  # said together with a bad decision, if any
        text, reason_problem = None, problem
    who = as_actor(actor)
    actor = who.username
    now = utc_now()
    with db.transaction():
        db.lock_ingest()
        finding = store.get_finding(db, finding_id)
        if finding is None:
            raise NotFound("Temuan tidak ditemukan.")
        record = store.record_by_id(db, int(finding["central_id"]))
        offered = finding_decisions(finding["kind"], finding["evidence"])
        if decision not in DECISION_VALUES:
            # an unknown value: the choices this finding's kind takes, no others; an
            # empty form names both of its fields
            said = {"decision": [choice_message(offered)]}
            codes = {"decision": ["invalid_choice"]}
            if reason_problem is not None:
                said, codes = {**said, **reason_problem.errors}, {**codes,
                                                                 **reason_problem.error_codes}
            raise ValidationFailed(said, codes)
        if reason_problem is not None:
            raise reason_problem
        if (finding["kind"] == "sent_back" and decision != "reject"
                and record["status"] in records_store.ACTIVE):
            raise ValidationFailed({"decision": [("Data yang dikirim balik menunggu perbaikan "
                                                 "dari kelurahan; hanya dapat ditolak.")]},
                                   {"decision": ["waiting_for_fix"]})
        if finding["kind"] == CLAIM_FINDING and decision == "send_back":
            # the kelurahan holds it registered: it has nothing to fix and cannot edit it
            raise ValidationFailed({"decision": [("Kelurahan mencatat data ini sudah terdaftar di "
                                                 "BPJS, jadi tidak dapat diperbaikinya: pilih "
                                                 "lanjutkan atau tolak.")]},
                                   {"decision": ["registered_at_kelurahan"]})
        if decision not in offered:
            label = KIND_LABELS.get(finding["kind"], finding["kind"])
            said = f"Temuan \"{label}\" diputus dengan keputusannya sendiri. {choice_message(offered)}"
            raise ValidationFailed({"decision": [said]},
                                   {"decision": ["invalid_choice"]})
        if decision in MONEY_DECISIONS:
            check_money_reason(text)
        if not store.decide_finding(db, finding_id, decision, text, actor, now):
            raise AlreadyDecided.by(store.get_finding(db, finding_id) or {})
        outcome: dict[str, Any] = {"finding_id": finding_id, "decision": decision,
                                   "record_status": record["status"]}
        details: dict[str, Any] = {"finding_id": finding_id, "kind": finding["kind"],
                                   "kelurahan_code": record["kelurahan_code"]}
        if decision == "send_back":
            if record["status"] != "accepted":
                raise _not_sendable(db, record)
            outcome["send_back"] = _send_back_record(db, record, text, who, now)
        elif record["status"] not in records_store.ACTIVE:
            # already off every file (a duplicate, a rejection): the finding closes,
            # the record keeps the status it has
            outcome["record_unchanged"] = details["record_unchanged"] = True
        elif decision == "confirm" and finding["kind"] == CLAIM_FINDING:
            # the claim is set aside: a new enrollment from now on, judged by the
            # rules (the next registration file, or "already a participant")
            store.clear_kpj_claim(db, int(record["central_id"]), now)
            outcome["kpj_claim_cleared"] = details["kpj_claim_cleared"] = True
        elif decision == END_COVERAGE and record["status"] == "registered":
            ended = _end_participation(db, finding, record, text, actor, now)
            outcome.update(ended)
            details.update(coverage_end=[record.get("coverage_end"), ended["coverage_end"]],
                           cause=ended["cause"], findings_closed=ended["findings_closed"])
        elif decision == END_COVERAGE:
            # a death before registration: never on a registration file
            reasons = [f"{VERIFIER_REJECTION}meninggal dunia (Dukcapil): {text}"]
            _reject(db, record, reasons, text, actor, now)
            outcome["record_status"] = "rejected"
            judge_freed_nik(db, settings, record["nik"], who, now, details)
        elif decision == "reject":
            _refuse_rejecting_a_registered_record(record)
            _refuse_rejecting_a_kept_record(db, record)
            _reject(db, record, [f"{VERIFIER_REJECTION}{text}"], text, actor, now)
            outcome["record_status"] = "rejected"
            judge_freed_nik(db, settings, record["nik"], who, now, details)
        details["status"] = [record["status"], "sent_back" if decision == "send_back"
                             else outcome["record_status"]]
        record_trail(db, who, f"decision.finding.{decision}", record, details)
        return outcome


def _reject(db: Database, record: dict[str, Any], reasons: list[str], text: str, actor: str,
            now: str) -> None:
    """A verifier rejects the record at central: its open findings close, the
    kelurahan hears ``rejected`` with the reasons. Inside the decision's transaction."""
    store.set_record_status(db, record["central_id"], "rejected", reasons, now)
    store.close_open_findings(db, record["central_id"], "reject", text, actor, now)
    update_store.add_updates(db, [{
        "kelurahan_code": record["kelurahan_code"], "record_id": record["record_id"],
        "kind": "rejected", "central_status": "rejected", "reasons": reasons}], now)


def _end_participation(db: Database, finding: dict[str, Any], record: dict[str, Any], text: str,
                       actor: str, now: str) -> dict[str, Any]:
    """A registered worker's participation ended (a verifier confirmed a death or the
    BPJS list's status): the city pays up to this month (WITA) and no later (an earlier
    end stays), the record stays registered with its KPJ, the worker's other open
    findings of the kind close with it, and the kelurahan hears ``coverage_ended``.
    Inside the decision's transaction."""
    month = local_time.today().strftime("%Y-%m")
    never = never_a_participant(finding)
    if never:
        # never a participant: no month is paid, so the end is the month before coverage began
        month = _month_before(record.get("coverage_start") or month)
    last = min(month, record["coverage_end"]) if record.get("coverage_end") else month
    store.end_coverage(db, int(record["central_id"]), last, now)
    closed = store.close_open_findings(
        db, int(record["central_id"]), END_COVERAGE,
        f"iuran dihentikan oleh keputusan atas temuan {finding['id']}", actor, now,
        kinds=tuple(sorted(PARTICIPATION_FINDINGS)))
    cause = ("deceased" if finding["kind"] == DEATH_FINDING or finding["evidence"].get("deceased")
             else "not_participant")
    update_store.add_updates(db, [{
        "kelurahan_code": record["kelurahan_code"], "record_id": record["record_id"],
        "kind": "coverage_ended", "central_status": "registered", "last_month": last,
        "cause": cause, "reason": text, "kpj_number": record.get("kpj_number")}], now)
    return {"coverage_end": last, "cause": cause, "findings_closed": closed,
            "record_status": "registered", "never_participant": never}


def never_a_participant(finding: dict[str, Any]) -> bool:
    """A BPJS status finding saying the worker never became a participant: BPJS refused
    the registration (``Ditolak``), or the list that registered them already showed a
    status that is not participation (``registered_now``: dead or inactive on their very
    first listing); or a ``bpjs_before_file`` finding (the participation is someone
    else's, older than central's file). Ending their coverage pays no month
    (docs/central.md "When participation ends")."""
    evidence = finding.get("evidence") or {}
    if finding["kind"] == BEFORE_FILE_FINDING:
        return True  # someone else's participation: the program's never began
    return finding["kind"] == STATUS_FINDING and bool(
        evidence.get("registered_now") or is_refused_status(evidence.get("bpjs_status")))


def _month_before(month: str) -> str:
    """2026-01 -> 2025-12."""
    year, number = (int(p) for p in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


# Why a registered record is never rejected or made a duplicate at central, and what
# to do instead (docs/central.md "Verification", panduan-kantor-pusat.md section 5)
REGISTERED_KEPT = ("Data ini sudah terdaftar di BPJS (punya KPJ) dan masuk daftar iuran kota: "
                   "pendaftarannya tetap, pusat tidak menolaknya.")


def _refuse_rejecting_a_registered_record(record: dict[str, Any]) -> None:
    """409 ``registered_at_bpjs``: a verifier's rejection would take a BPJS
    participant off the payment list while BPJS still holds the KPJ."""
    if record["status"] != "registered":
        return
    raise RegisteredAtBpjs(
        f"{REGISTERED_KEPT} Bila identitasnya benar, pilih \"{FINDING_DECISIONS['confirm']}\"; "
        "bila orang ini tidak berhak atau sudah tidak bekerja, kepesertaannya diakhiri lewat "
        "BPJS Ketenagakerjaan, bukan dengan menolak data di pusat. Temuan ini tetap terbuka.")


def _refuse_rejecting_a_kept_record(db: Database, record: dict[str, Any]) -> None:
    """409 ``kept_by_pair_decision`` when a pair decision kept this record and the
    other record is its duplicate: rejecting it would leave the person with no
    active record (docs/central.md). Inside the decision's transaction, under the
    ingest lock, so a pair decision cannot slip in between."""
    kept = pairs_store.pairs_keeping(db, int(record["central_id"]))
    if not kept:
        return
    other = kept[0]
    raise KeptByPairDecision(
        f"Data ini dipertahankan oleh keputusan pasangan \"sama orang\" (oleh "
        f"{other['decided_by']}): data {other['kelurahan_code']}/{other['record_id']} sudah "
        "menjadi duplikatnya. Menolaknya membuat orang ini tanpa data aktif; kirim balik "
        "untuk diperbaiki, atau tunggu perbaikan dari kelurahan.",
        other={"kelurahan_code": other["kelurahan_code"], "record_id": other["record_id"]})


def summary(db: Database) -> dict[str, Any]:
    """For the dashboard: open findings per kind (with labels) and open pairs."""
    counts = store.finding_counts(db)
    return {"findings": [{"kind": k, "label": KIND_LABELS.get(k, k), "open": n}
                         for k, n in sorted(counts.items())],
            "open_findings": sum(counts.values()),
            "open_pairs": pairs_store.open_pair_count(db)}


QUEUE_LIMIT = 200  # findings to decide, send-backs waiting, and pairs shown at once


def queue(db: Database) -> dict[str, Any]:
    """The verifiers' page, in three lists each with its own limit, so the
    send-backs waiting for a kelurahan's fix never crowd out what a verifier can
    decide now: the oldest open findings to decide (``findings``), the oldest
    send-backs waiting (``waiting``: a verifier may still reject them), the open
    likely-duplicate pairs; how many are open of each; and how many records wait
    off the registration file by their kelurahan's KPJ claim (``held_kpj_claims``) and
    how many of those wait for a newer BPJS list (``kpj_claims_need_bpjs_list``)."""
    counts = summary(db)
    waiting = store.open_waiting_count(db)
    # the claim hold counted as the registration export counts it
    return {**kpj_claims_held(db),
            "findings": store.list_findings(db, "open", limit=QUEUE_LIMIT, waiting=False),
            "waiting": store.list_findings(db, "open", limit=QUEUE_LIMIT, waiting=True),
            "pairs": pairs_store.duplicate_pairs(db, open_only=True, limit=QUEUE_LIMIT),
            "open_findings": counts["open_findings"] - waiting, "open_waiting": waiting,
            "open_pairs": counts["open_pairs"]}
