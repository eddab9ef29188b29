"""Verification at central, the verifiers' side: sending a record back to its
kelurahan, verifiers' decisions on findings and on likely-duplicate pairs, and the
queue they work from. Plain functions (no Flask); SQL in central/storage/findings.py.
The findings central raises and closes by itself (the DTSEN check, a fixed record's
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
from berjasa.checks import has_visible_text, reason_unprintable_problem
from berjasa.eligibility import is_refused_status
from berjasa.erasure import checked_nik
from berjasa.problems import (
    AlreadyDecided,
    AlreadySentBack,
    KeptByPairDecision,
    KeptRecordNotActive,
    NotActiveAtCentral,
    NotFound,
    RegisteredAtBpjs,
    RegisteredAtCentral,
    ValidationFailed,
)
from central.export_bpjs import kpj_claims_held
from central.findings import (
    CLAIM_FINDING,
    DEATH_FINDING,
    ERASED_FINDING,
    PARTICIPATION_FINDINGS,
    STATUS_FINDING,
    VERIFIER_REJECTION,
    raise_finding,
    record_trail,
)
from central.storage import findings as store
from central.storage import records as records_store
from central.storage.db import Database, utc_now
from central.waiting import judge_waiting

KIND_LABELS = {
    "dtsen_mismatch": "Identitas tidak sama dengan DTSEN",
    "dukcapil_mismatch": "Elemen data tidak sesuai Dukcapil",
    "dukcapil_deceased": "Dukcapil: penduduk sudah meninggal dunia",
    "dukcapil_not_found": "Dukcapil: NIK tidak ditemukan",
    "dukcapil_multiple_nik": "Dukcapil: NIK dipakai lebih dari satu orang",
    "dukcapil_inactive": "Dukcapil: NIK tidak aktif",
    "sent_back": "Dikirim balik ke kelurahan untuk diperbaiki",
    "bpjs_nik_changed": "NIK diperbaiki setelah terdaftar di BPJS: perbaiki NIK di BPJS",
    "kpj_claim_unconfirmed": "KPJ dari kelurahan tidak cocok dengan daftar peserta BPJS",
    "bpjs_not_active": "Daftar peserta BPJS: status peserta tidak aktif",
    ERASED_FINDING: "NIK ini pernah dihapus atas permintaan: pastikan persetujuan baru",
    "cohort_duplicate": "Kemungkinan orang yang sama dengan pekerja kohort 2024 (NIK lain)",
}
FINDING_DECISIONS = {"confirm": "Identitas benar, lanjutkan",
                     "send_back": "Kirim balik ke kelurahan",
                     "reject": "Tolak"}
# The decisions on whether a worker is still a participant (a death, the BPJS list's
# status: docs/central.md "When participation ends"): go on, or the participation
# ended (a registered worker leaves the payment list from the month after).
CONTINUE, END_COVERAGE = "continue", "end_coverage"
# The kinds whose decisions are their own (values and labels), in the order offered:
# a KPJ claim's ``confirm`` sets the claim aside, the record a new enrollment from then
# on (docs/central.md "Registrations a restore lost"; its ``send_back`` is refused with
# its own reason); a death is confirmed or Dukcapil was wrong (the NIK may also be
# mistyped: sent back); the BPJS list's status is answered "still a participant" or
# "participation ended". A value another kind offers is refused for these (422).
KIND_DECISIONS = {
    CLAIM_FINDING: {"confirm": "Klaim KPJ keliru: daftarkan sebagai peserta baru",
                    "send_back": FINDING_DECISIONS["send_back"], "reject": "Tolak data ini"},
    DEATH_FINDING: {CONTINUE: "Dukcapil keliru, masih hidup: lanjutkan",
                    END_COVERAGE: "Benar meninggal: hentikan",
                    "send_back": "NIK salah ketik: kirim balik ke kelurahan"},
    STATUS_FINDING: {CONTINUE: "Masih peserta aktif: tetap dibayar",
                     END_COVERAGE: "Bukan peserta lagi: hentikan iuran"},
    # a person erased on request, recorded again after it: the new consent is real, or not
    ERASED_FINDING: {"confirm": "Persetujuan baru sudah dipastikan: lanjutkan",
                     "send_back": FINDING_DECISIONS["send_back"],
                     "reject": "Tanpa persetujuan baru: tolak data ini"},
    # the worker the cohort holds under another NIK: the same person is already paid
    "cohort_duplicate": {"confirm": "Orang berbeda, lanjutkan",
                         "reject": "Sama orang dengan pekerja kohort: tolak data ini"},
}
# The BPJS list says the participant died ("Meninggal Dunia")
DECEASED_ON_LIST = {CONTINUE: "Masih hidup dan peserta aktif: tetap dibayar",
                    END_COVERAGE: "Benar meninggal: hentikan iuran"}
# Those two in general words (an unknown value's message, the trail's names)
PARTICIPATION_DECISIONS = {CONTINUE: "Masih hidup/masih peserta: lanjutkan",
                           END_COVERAGE: "Meninggal/bukan peserta lagi: hentikan iuran"}
DECISION_VALUES = {**FINDING_DECISIONS, **PARTICIPATION_DECISIONS}


def finding_decisions(kind: str, evidence: dict[str, Any] | None = None) -> dict[str, str]:
    """The decisions offered on a finding of ``kind`` (with its ``evidence``: a BPJS
    status of death has its own labels), value -> label."""
    if kind == STATUS_FINDING and (evidence or {}).get("deceased"):
        return DECEASED_ON_LIST
    return KIND_DECISIONS.get(kind, FINDING_DECISIONS)


PAIR_DECISIONS = {"keep_a": "Sama orang, pertahankan A",
                  "keep_b": "Sama orang, pertahankan B",
                  "different": "Orang berbeda"}
MAX_REASON = 500


def _choose(decisions: dict[str, str]) -> str:
    """The error for a missing or unknown decision: each one's label, and its code
    for the office API."""
    return "Pilih salah satu keputusan: " + "; ".join(
        f"{label} ({code})" for code, label in decisions.items()) + "."


# Decisions on a finding that move money: whether a worker is paid (a pair decision
# keeping or dropping a registered worker too, :func:`decide_pair`). Their reason is
# what the treasurer and an auditor read: at least MIN_MONEY_REASON characters that
# are not spaces (a letter number, "Akta kematian", "Surat BPJS ..."), never "a" or "-".
MONEY_DECISIONS = frozenset({CONTINUE, END_COVERAGE})
MIN_MONEY_REASON = 5


def _money_reason(text: str | None) -> None:
    """422 ``reason_too_short`` naming the field when ``text`` (trimmed) has fewer
    than :data:`MIN_MONEY_REASON` characters that are not spaces."""
    if len("".join((text or "").split())) < MIN_MONEY_REASON:
        raise ValidationFailed(
            {"reason": [(f"Keputusan ini mengubah pembayaran iuran: tulis alasan yang sebenarnya, "
                         f"paling sedikit {MIN_MONEY_REASON} huruf/angka selain spasi (mis. nomor "
                         "surat BPJS atau akta kematian).")]},
            {"reason": ["reason_too_short"]})


def _actor(actor: Actor | str) -> Actor:
    """The trail actor: a signed-in verifier (pages) or a name from the CLI."""
    if isinstance(actor, Actor):
        return actor
    return Actor(str(actor), "cli" if str(actor).startswith("cli:") else "verifier")


def _reason(reason: str | None, required: bool = True) -> str | None:
    """A trimmed reason; 422 when required and empty, or too long."""
    problem = reason_unprintable_problem(reason) if isinstance(reason, str) else None
    if problem:
        raise ValidationFailed({"reason": [problem.message]}, {"reason": [problem.code]})
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if required and not has_visible_text(text):
        raise ValidationFailed({"reason": ["Alasan wajib diisi."]}, {"reason": ["reason_required"]})
    if len(text) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Alasan paling banyak {MAX_REASON} karakter."]},
                               {"reason": ["too_long"]})
    return text or None


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
    text = _reason(reason)
    nik = checked_nik(nik if isinstance(nik, str) else "")
    now = utc_now()
    with db.transaction():
        db.lock_ingest()  # update sequence numbers commit in order (central.ingest)
        record = store.record_by_nik(db, nik)
        if record is None:
            raise NotFound("NIK ini tidak ada di registri pusat.")
        if record["status"] != "accepted":
            raise _not_sendable(db, record)
        return _send_back_record(db, record, text, _actor(actor), now)


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
    records_store.add_updates(db, [{
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
    text = _reason(reason)
    who = _actor(actor)
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
            # an unknown value: the choices this finding's kind takes, no others
            raise ValidationFailed({"decision": [_choose(offered)]},
                                   {"decision": ["invalid_choice"]})
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
            said = f"Temuan \"{label}\" diputus dengan keputusannya sendiri. {_choose(offered)}"
            raise ValidationFailed({"decision": [said]},
                                   {"decision": ["invalid_choice"]})
        if decision in MONEY_DECISIONS:
            _money_reason(text)
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
            _judge_waiting(db, settings, record["nik"], who, now, details)
        elif decision == "reject":
            _refuse_rejecting_a_registered_record(record)
            _refuse_rejecting_a_kept_record(db, record)
            _reject(db, record, [f"{VERIFIER_REJECTION}{text}"], text, actor, now)
            outcome["record_status"] = "rejected"
            _judge_waiting(db, settings, record["nik"], who, now, details)
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
    records_store.add_updates(db, [{
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
    records_store.add_updates(db, [{
        "kelurahan_code": record["kelurahan_code"], "record_id": record["record_id"],
        "kind": "coverage_ended", "central_status": "registered", "last_month": last,
        "cause": cause, "reason": text, "kpj_number": record.get("kpj_number")}], now)
    return {"coverage_end": last, "cause": cause, "findings_closed": closed,
            "record_status": "registered", "never_participant": never}


def never_a_participant(finding: dict[str, Any]) -> bool:
    """A BPJS status finding saying the worker never became a participant: BPJS refused
    the registration (``Ditolak``), or the list that registered them already showed a
    status that is not participation (``registered_now``: dead or inactive on their very
    first listing). Ending their coverage pays no month (docs/central.md "When
    participation ends")."""
    evidence = finding.get("evidence") or {}
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


def _judge_waiting(db: Database, settings: Mapping[str, Any] | None, nik: str, who: Actor,
                   now: str, details: dict[str, Any]) -> None:
    """A decision took a record out of holding ``nik``: the records waiting for it
    are judged again (:mod:`central.waiting`); the decision's trail entry counts
    them (``waiting``) when there were some."""
    judged = judge_waiting(db, settings, [nik], who, now)["judged"]
    if judged:
        details["waiting"] = judged


def _refuse_rejecting_a_kept_record(db: Database, record: dict[str, Any]) -> None:
    """409 ``kept_by_pair_decision`` when a pair decision kept this record and the
    other record is its duplicate: rejecting it would leave the person with no
    active record (docs/central.md). Inside the decision's transaction, under the
    ingest lock, so a pair decision cannot slip in between."""
    kept = store.pairs_keeping(db, int(record["central_id"]))
    if not kept:
        return
    other = kept[0]
    raise KeptByPairDecision(
        f"Data ini dipertahankan oleh keputusan pasangan \"sama orang\" (oleh "
        f"{other['decided_by']}): data {other['kelurahan_code']}/{other['record_id']} sudah "
        "menjadi duplikatnya. Menolaknya membuat orang ini tanpa data aktif; kirim balik "
        "untuk diperbaiki, atau tunggu perbaikan dari kelurahan.",
        other={"kelurahan_code": other["kelurahan_code"], "record_id": other["record_id"]})


# --- likely-duplicate pairs ---------------------------------------------------------------


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
        raise ValidationFailed({"decision": [_choose(PAIR_DECISIONS)]},
                               {"decision": ["invalid_choice"]})
    text = _reason(reason)
    who = _actor(actor)
    actor = who.username
    a_id, b_id = sorted((int(central_id_a), int(central_id_b)))
    swapped = (a_id, b_id) != (int(central_id_a), int(central_id_b))
    if swapped and decision != "different":
        decision = {"keep_a": "keep_b", "keep_b": "keep_a"}[decision]  # as the caller named them
    now = utc_now()
    with db.transaction():
        db.lock_ingest()
        pair = store.get_pair(db, a_id, b_id)
        if pair is None or pair["a"] is None or pair["b"] is None:
            raise NotFound("Pasangan tidak ditemukan.")
        if not store.decide_pair(db, a_id, b_id, decision, text, actor, now):
            raise AlreadyDecided.by(store.get_pair(db, a_id, b_id) or {})
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
            _money_reason(text)  # keeping or dropping a registered worker moves money
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
        records_store.add_updates(db, updates, now)
        if freed is not None:  # after the decision's own updates
            _judge_waiting(db, settings, freed, who, now, details)
        record_trail(db, who, f"decision.pair.{decision}", a, details)
    return {"central_id_a": a_id, "central_id_b": b_id, "decision": decision, "reason": text}


def summary(db: Database) -> dict[str, Any]:
    """For the dashboard: open findings per kind (with labels) and open pairs."""
    counts = store.finding_counts(db)
    return {"findings": [{"kind": k, "label": KIND_LABELS.get(k, k), "open": n}
                         for k, n in sorted(counts.items())],
            "open_findings": sum(counts.values()),
            "open_pairs": store.open_pair_count(db)}


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
            "pairs": store.duplicate_pairs(db, open_only=True, limit=QUEUE_LIMIT),
            "open_findings": counts["open_findings"] - waiting, "open_waiting": waiting,
            "open_pairs": counts["open_pairs"]}
