"""Verification at central: findings for verifiers, the DTSEN identity check,
sending a record back to its kelurahan, and verifiers' decisions on findings and
on likely-duplicate pairs. Plain functions (no Flask); SQL in
central/storage/findings.py.

A finding is never a rejection. While a record has an open finding it stays off
the BPJS registration file; a verifier decides: ``confirm`` (the identity is
right, the record goes on), ``send_back`` (the record goes back to its kelurahan
as ``needs_fix`` with the reason) or ``reject`` (central rejects it, with the
reason; the kelurahan hears it with the next pull).
"""

from __future__ import annotations

import json
from typing import Any

from berjasa.audit import Actor
from berjasa.checks import has_visible_text, reason_unprintable_problem
from berjasa.problems import (
    AlreadyDecided,
    AlreadySentBack,
    KeptByPairDecision,
    KeptRecordNotActive,
    NotActiveAtCentral,
    NotFound,
    ValidationFailed,
)
from berjasa.record_reasons import names_consent
from central import identity_match
from central.export_bpjs import kpj_claims_held
from central.storage import audit as trail
from central.storage import findings as store
from central.storage import records as records_store
from central.storage import snapshots
from central.storage.db import Database, utc_now

SYSTEM = "sistem"
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
}
# A kelurahan's KPJ claim the BPJS list does not confirm (docs/central.md,
# "Registrations a restore lost")
CLAIM_FINDING = "kpj_claim_unconfirmed"
FINDING_DECISIONS = {"confirm": "Identitas benar, lanjutkan",
                     "send_back": "Kirim balik ke kelurahan",
                     "reject": "Tolak"}
# A kind whose decisions mean something else than the general labels say (the values
# stay FINDING_DECISIONS'): a KPJ claim's ``confirm`` sets the claim aside, the record
# a new enrollment from then on (docs/central.md "Registrations a restore lost").
KIND_DECISIONS = {
    "kpj_claim_unconfirmed": {"confirm": "Klaim KPJ keliru: daftarkan sebagai peserta baru",
                              "reject": "Tolak data ini"},
}


def finding_decisions(kind: str) -> dict[str, str]:
    """The decisions offered on a finding of ``kind``, labelled for it (values of
    :data:`FINDING_DECISIONS`)."""
    return {**FINDING_DECISIONS, **KIND_DECISIONS.get(kind, {})}


PAIR_DECISIONS = {"keep_a": "Sama orang, pertahankan A",
                  "keep_b": "Sama orang, pertahankan B",
                  "different": "Orang berbeda"}
MAX_REASON = 500
# the reason a verifier's rejection is stored with: this prefix, then the text
VERIFIER_REJECTION = "verifikasi: "


def _choose(decisions: dict[str, str]) -> str:
    """The error for a missing or unknown decision: each one's label, and its code
    for the office API."""
    return "Pilih salah satu keputusan: " + "; ".join(
        f"{label} ({code})" for code, label in decisions.items()) + "."


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


# --- raising findings -----------------------------------------------------------


def raise_finding(db: Database, record: dict[str, Any], kind: str, source: str,
                  evidence: dict[str, Any], raised_by: str = SYSTEM,
                  at: str | None = None) -> int | None:
    """Raise one finding on a held record (nothing when one of that kind is open)."""
    return store.add_finding(db, {
        "central_id": record["central_id"], "record_version": record.get("version"),
        "kind": kind, "source": source, "evidence": evidence, "raised_at": at or utc_now(),
        "raised_by": raised_by})


def check_dtsen(db: Database, central_ids: list[int] | None = None, at: str | None = None,
                limit: int | None = None) -> dict[str, int]:
    """Compare active records whose NIK is in the DTSEN snapshot with their DTSEN
    row (name, birth date, kelurahan); each mismatch raises a ``dtsen_mismatch``
    finding with the evidence side by side, unless a verifier already decided one
    on this version of the record with the same evidence (`central verify` and a
    re-import of the same extract ask nobody twice). ``central_ids``: only these
    records. Returns ``{"compared", "raised"}``."""
    at = at or utc_now()
    compared = raised = 0
    for row in store.active_with_dtsen(db, central_ids, limit):
        compared += 1
        dtsen = {"full_name": row["dtsen_full_name"], "birth_date": row["dtsen_birth_date"],
                 "kelurahan_code": row["dtsen_kelurahan_code"]}
        evidence = identity_match.dtsen_evidence(row, dtsen)
        if evidence is None or store.decided_before(db, row["central_id"], "dtsen_mismatch",
                                                    row.get("version"), evidence):
            continue
        if raise_finding(db, row, "dtsen_mismatch", "dtsen", evidence, at=at):
            raised += 1
    return {"compared": compared, "raised": raised}


# --- send back ----------------------------------------------------------------------


def send_back(db: Database, nik: str, reason: str | None, actor: Actor | str) -> dict[str, Any]:
    """Send the active record holding ``nik`` back to its kelurahan as
    ``needs_fix`` with ``reason``: an open ``sent_back`` finding keeps it off the
    registration file until the fix arrives, and an update entry of kind
    ``needs_fix`` reaches the kelurahan with its next pull.
    409 ``not_active`` when central holds no active record for the NIK,
    409 ``already_sent_back`` when it is waiting for a fix already."""
    text = _reason(reason)
    nik = (nik or "").strip()
    if not (len(nik) == 16 and nik.isascii() and nik.isdigit()):
        raise ValidationFailed({"nik": ["NIK harus 16 angka."]}, {"nik": ["invalid"]})
    now = utc_now()
    with db.transaction():
        db.lock_ingest()  # update sequence numbers commit in order (central.ingest)
        record = store.record_by_nik(db, nik)
        if record is None:
            raise NotFound("NIK ini tidak ada di registri pusat.")
        if record["status"] != "accepted":
            raise NotActiveAtCentral(status=record["status"])
        return _send_back_record(db, record, text, _actor(actor), now)


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
    _trail(db, who, "decision.send_back", record,
           {"finding_id": finding, "kelurahan_code": record["kelurahan_code"],
            "version": record.get("version"), "status": [record["status"], "sent_back"]})
    return {"central_id": record["central_id"], "kelurahan_code": record["kelurahan_code"],
            "record_id": record["record_id"], "version": record.get("version"),
            "status": "sent_back", "reason": text, "finding_id": finding}


# --- deciding findings ----------------------------------------------------------------


def decide_finding(db: Database, finding_id: int, decision: str, reason: str | None,
                   actor: Actor | str) -> dict[str, Any]:
    """A verifier's decision on an open finding (see the module docstring)."""
    if decision not in FINDING_DECISIONS:
        raise ValidationFailed({"decision": [_choose(FINDING_DECISIONS)]},
                               {"decision": ["invalid_choice"]})
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
        if not store.decide_finding(db, finding_id, decision, text, actor, now):
            raise AlreadyDecided.by(store.get_finding(db, finding_id) or {})
        outcome: dict[str, Any] = {"finding_id": finding_id, "decision": decision,
                                   "record_status": record["status"]}
        details: dict[str, Any] = {"finding_id": finding_id, "kind": finding["kind"],
                                   "kelurahan_code": record["kelurahan_code"]}
        if decision == "send_back":
            if record["status"] != "accepted":
                raise NotActiveAtCentral(status=record["status"])
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
        elif decision == "reject":
            _refuse_rejecting_a_kept_record(db, record)
            reasons = [f"{VERIFIER_REJECTION}{text}"]
            store.set_record_status(db, record["central_id"], "rejected", reasons, now)
            store.close_open_findings(db, record["central_id"], "reject", text, actor, now)
            records_store.add_updates(db, [{
                "kelurahan_code": record["kelurahan_code"], "record_id": record["record_id"],
                "kind": "rejected", "central_status": "rejected", "reasons": reasons}], now)
            outcome["record_status"] = "rejected"
        details["status"] = [record["status"], "sent_back" if decision == "send_back"
                             else outcome["record_status"]]
        _trail(db, who, f"decision.finding.{decision}", record, details)
        return outcome


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


def final_decisions(db: Database, held: list[dict[str, Any]]) -> set[int]:
    """Central ids of held records whose status is a verifier's final decision,
    which a newer version from the kelurahan does not undo: rejected by a
    verifier (``verifikasi: ...``) or made ``duplicate`` by a pair decision."""
    final = {int(r["central_id"]) for r in held if r["status"] == "rejected"
             and any(str(reason).startswith(VERIFIER_REJECTION)
                     for reason in _reason_list(r.get("reasons")))}
    return final | same_person(db, held)


def same_person(db: Database, held: list[dict[str, Any]]) -> set[int]:
    """Central ids of held records a pair decision made ``duplicate`` (a verifier
    found them the same person as another record, another NIK)."""
    return store.dropped_by_pairs(db, [int(r["central_id"]) for r in held
                                       if r["status"] == "duplicate"])


def _reason_list(reasons: Any) -> list:
    """A record's stored reasons (JSON text or a list)."""
    if isinstance(reasons, str):
        try:
            reasons = json.loads(reasons)
        except ValueError:
            return []
    return reasons if isinstance(reasons, list) else []


# Dukcapil's answers about the NIK itself, whatever the other fields say
NIK_FINDINGS = frozenset({"dukcapil_deceased", "dukcapil_multiple_nik", "dukcapil_not_found",
                          "dukcapil_inactive"})


def sent_back_for_consent(db: Database, central_id: int) -> bool:
    """Whether an open send-back of this record names the consent (its reason:
    :func:`berjasa.record_reasons.names_consent`)."""
    return any(names_consent((finding["evidence"] or {}).get("reason"))
               for finding in store.list_findings(db, "open", kind="sent_back",
                                                  central_id=central_id))


def after_new_version(db: Database, row: dict[str, Any], at: str, device_id: str) -> None:
    """A fixed record (a higher version, ``row`` as stored) replaced the one held:
    its open findings are closed (``sent_back`` as fixed, the others superseded,
    except a Dukcapil answer about the NIK when the NIK did not change: a fix of
    the address does not bring a deceased person back) and the arrival goes into
    central's trail (``record.new_version``, by the sending device), the other end
    of the kelurahan's audited moves; the ingest then runs the DTSEN check again on
    the new version. Inside the ingest transaction."""
    central_id = row["central_id"]
    fixed = store.close_open_findings(db, central_id, "fixed", "versi baru dari kelurahan",
                                      SYSTEM, at, kinds=("sent_back",))
    still_true = {f["kind"] for f in store.list_findings(db, "open", central_id=central_id)
                  if f["kind"] in NIK_FINDINGS
                  and (f["evidence"].get("record") or {}).get("nik") == row.get("nik")}
    stale = tuple(kind for kind in store.open_kinds(db, central_id) if kind not in still_true)
    superseded = store.close_open_findings(db, central_id, "superseded", "versi baru dari kelurahan",
                                           SYSTEM, at, kinds=stale) if stale else 0
    _trail(db, Actor(device_id, "device"), "record.new_version", row,
           {"version": row.get("version"), "findings_fixed": fixed,
            "findings_superseded": superseded})


def nik_known_to_bpjs(db: Database, held: dict[str, Any]) -> str:
    """The NIK BPJS registered a registered record under: the one an open
    ``bpjs_nik_changed`` finding names (a NIK changed again before it was
    corrected at BPJS), else the record's NIK."""
    for finding in store.list_findings(db, "open", kind="bpjs_nik_changed",
                                       central_id=int(held["central_id"]), limit=1):
        return str(finding["evidence"].get("bpjs_nik") or held["nik"])
    return str(held["nik"])


def registered_nik_changed(db: Database, record: dict[str, Any], bpjs_nik: str, at: str,
                           used_by: dict[str, Any] | None = None) -> int | None:
    """A registered worker's fix changed the NIK (``record["nik"]``, the corrected
    one) that BPJS registered them under (``bpjs_nik``): the record stays registered
    with its KPJ and coverage and on the payment list, and a ``bpjs_nik_changed``
    finding asks the operator to correct the NIK at BPJS (a verifier confirms once
    done). ``used_by``: another active record holds the corrected NIK, so the fix
    was not stored and the verifier decides whose NIK it is. Inside the ingest
    transaction."""
    held = store.record_by_id(db, int(record["central_id"]))
    evidence: dict[str, Any] = {
        "source": "bpjs", "bpjs_nik": bpjs_nik, "kpj_number": held.get("kpj_number"),
        "fields": [{"field": "nik", "record": record["nik"], "reference": bpjs_nik,
                    "result": "different"}]}
    if used_by is not None:
        evidence["nik_used_by"] = {"kelurahan_code": used_by["kelurahan_code"],
                                   "record_id": used_by["record_id"]}
    store.close_open_findings(db, int(record["central_id"]), "superseded",
                              "versi baru dari kelurahan", SYSTEM, at, kinds=("bpjs_nik_changed",))
    return raise_finding(db, held, "bpjs_nik_changed", "bpjs", evidence, at=at)


def kpj_claims_checked(db: Database, claims: list[dict[str, Any]], at: str) -> dict[str, int]:
    """After records claiming a KPJ (``kpj_claim``) were judged against the loaded
    BPJS list (:func:`central.recheck.recheck`; each row with its ``status`` and
    ``kpj_number`` as decided, the list's ``bpjs_*`` and ``kpj_claimed_at``): a claim
    the list confirmed (registered with that KPJ) closes its open finding; one still
    ``accepted`` raises a ``kpj_claim_unconfirmed`` finding when the list shows the
    NIK with another KPJ (or none), or does not show it although it was imported
    after the claim arrived (a list older than the claim proves nothing: the record
    waits for the next one). Inside the caller's transaction."""
    in_force = snapshots.in_force(db, "bpjs")
    list_at = in_force["imported_at"] if in_force else ""
    raised = closed = 0
    for row in claims:
        claim, listed = row["kpj_claim"], row["bpjs_nik"] is not None
        if row["status"] == "registered":
            if row["kpj_number"] == claim:
                closed += store.close_open_findings(
                    db, int(row["central_id"]), "bpjs_list", "daftar peserta BPJS memuat KPJ ini",
                    SYSTEM, at, kinds=(CLAIM_FINDING,))
            continue
        if row["status"] != "accepted" or not (listed or (row["kpj_claimed_at"] or "") < list_at):
            continue
        elsewhere = snapshots.nik_listed_for_kpj(db, claim)
        evidence = {
            "source": "bpjs", "kpj_claim": claim, "bpjs_kpj": row["bpjs_kpj"] if listed else None,
            "bpjs_status": row["bpjs_status"] if listed else None, "listed": listed,
            "kpj_listed_for": elsewhere if elsewhere != row["nik"] else None,
            "fields": [{"field": "kpj_number", "record": claim,
                        "reference": row["bpjs_kpj"] if listed else None,
                        "result": identity_match.DIFFERENT if listed and row["bpjs_kpj"]
                        else identity_match.MISSING}]}
        if raise_finding(db, row, CLAIM_FINDING, "bpjs", evidence, at=at):
            raised += 1
    return {"raised": raised, "closed": closed}


def new_version_refused(db: Database, held: dict[str, Any], version: Any, at: str,
                        device_id: str) -> None:
    """A fixed record arrived for a record whose status is a verifier's final
    decision (:func:`final_decisions`): the record held stays as it is, the batch
    answer repeats the decision, and central's trail says so
    (``record.new_version_refused``, by the sending device). Open findings left on
    it (none, normally: both decisions close them) are closed as fixed. Inside the
    ingest transaction."""
    closed = store.close_open_findings(db, int(held["central_id"]), "fixed",
                                       "versi baru dari kelurahan; keputusan verifikator tetap",
                                       SYSTEM, at)
    row = store.record_by_id(db, int(held["central_id"]))
    _trail(db, Actor(device_id, "device"), "record.new_version_refused", row,
           {"version": version, "held_version": held.get("version"), "status": held["status"],
            "findings_fixed": closed})


# --- likely-duplicate pairs ---------------------------------------------------------------


def _trail(db: Database, who: Actor, action: str, record: dict[str, Any],
           details: dict[str, Any]) -> None:
    """The decision in central's audit trail (issue 11): who, which record, what;
    the reason text stays with the finding (it may name the person)."""
    trail.append(db, who, action, f"{record['kelurahan_code']}/{record['record_id']}", details)


def decide_pair(db: Database, central_id_a: int, central_id_b: int, decision: str,
                reason: str | None, actor: Actor | str) -> dict[str, Any]:
    """A verifier's decision on a flagged pair: ``keep_a`` / ``keep_b`` (the same
    person: the other record is rejected at central as a duplicate of the one
    kept; 409 ``not_active`` when the one to keep is no longer active) or
    ``different`` (two people: nothing changes). Two verifiers at once:
    the first wins, the second gets 409 ``already_decided``. Both kelurahan hear
    the decision with their next pull (update kind ``duplicate_decision``)."""
    if decision not in PAIR_DECISIONS:
        raise ValidationFailed({"decision": [_choose(PAIR_DECISIONS)]},
                               {"decision": ["invalid_choice"]})
    text = _reason(reason)
    who = _actor(actor)
    actor = who.username
    a_id, b_id = sorted((int(central_id_a), int(central_id_b)))
    if (a_id, b_id) != (int(central_id_a), int(central_id_b)) and decision != "different":
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
        updates = []
        for this, that, side in ((a, b, "a"), (b, a, "b")):
            updates.append({"kelurahan_code": this["kelurahan_code"], "record_id": this["record_id"],
                            "kind": "duplicate_decision", "decision": decision, "reason": text,
                            "side": side, "other": {"kelurahan_code": that["kelurahan_code"],
                                                    "record_id": that["record_id"]}})
        if decision in ("keep_a", "keep_b"):
            drop, keep = (b, a) if decision == "keep_a" else (a, b)
            if keep["status"] not in records_store.ACTIVE:
                # keeping a rejected/erased record would leave the person with none
                raise KeptRecordNotActive(status=keep["status"])
            details["kept"] = f"{keep['kelurahan_code']}/{keep['record_id']}"
            details["dropped"] = f"{drop['kelurahan_code']}/{drop['record_id']}"
            # a record no longer active (rejected meanwhile) keeps its status
            details["dropped_status"] = [drop["status"], "duplicate" if drop["status"]
                                         in records_store.ACTIVE else drop["status"]]
            if drop["status"] in records_store.ACTIVE:
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
        _trail(db, who, f"decision.pair.{decision}", a, details)
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
