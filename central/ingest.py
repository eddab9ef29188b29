"""Deciding a batch at central: one transaction, one answer, stored for replays.

For each record: already held (same kelurahan and id) → its earlier decision;
invalid → ``rejected``; NIK active elsewhere (or earlier in the batch) →
``duplicate`` (the unique index has the last word); a DTSEN/BPJS rule failing
on a loaded snapshot → ``rejected``; else ``accepted``. Every new record is
evaluated with the shared rules (berjasa.eligibility) and keeps its results, the
snapshot ids and the parameter set used (``eligibility``, ``eligibility_snapshots``). Accepted records are
then compared with active records born the same day in any kelurahan (their own
too) and with each other, and
likely duplicates are flagged to both sides.

A record carrying its kelurahan's KPJ claim (``kpj_claim``, protocol 3: a registered
record sent again after central was restored) keeps the claim, new or held (a held
record's earlier decision is answered as always), and those records are judged
against the loaded BPJS list at once (:func:`central.recheck.recheck`): the list
showing the NIK with that KPJ makes the record ``registered``; nothing else does.

The answer, the update entries and the trail entry of a decided batch are
:mod:`central.ingest_answers`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from berjasa import eligibility as rules
from berjasa import local_time
from berjasa.audit import Actor
from berjasa.erasure import RETENTION_REASON_PREFIX, captured_before
from berjasa.problems import BatchConflict
from berjasa.pseudonyms import load_key, pseudonyms
from berjasa.record_reasons import names_consent
from central import cohort_memory, dedupe, eligibility, findings, likely_duplicates
from central import ingest_answers as answers
from central.ingest_answers import Delivery
from central.recheck import as_settings, recheck
from central.storage import duplicate_candidates as candidate_store
from central.storage import privacy as privacy_store
from central.storage import records as store
from central.storage import snapshots
from central.storage import updates as update_store
from central.storage.db import Database, utc_now
from central.waiting import judge_waiting
from sync import protocol

# The reason code of a record refused because its NIK was erased at its owner's
# request and it was captured or consented to at or before that (docs/central.md
# "A person erased on request, met again"). Not ``erased`` (this record id was erased).
ERASED_ON_REQUEST = "erased_on_request"


def ingest_batch(db: Database, batch: protocol.Batch, body_bytes: int,
                 settings: dict[str, Any] | int | None = None,
                 digest: str | None = None, delivery: Delivery | None = None) -> tuple[bytes, bool]:
    """Store ``batch`` and return (answer body, replayed?). Raises BatchConflict
    when its id was used for other content. ``digest`` is the content hash when
    the caller already has it (decode_batch checked it). ``settings`` are the
    effective settings (rule overrides); a bare int is the old ``max_desil``.
    With ``delivery`` (central/receive.py: every batch received) a new batch writes
    one ``batch.receive`` entry to central's trail in the batch's transaction; a replay
    changes nothing and writes none."""
    digest = digest or protocol.content_hash(batch)
    # a batch's pages journalled in memory, not in a temporary file (central.storage.db)
    with db.statement_journals_in_memory(), db.transaction():
        db.lock_ingest()
        stored = store.get_batch(db, batch.batch_id)
        if stored is not None:
            if stored["content_hash"] != digest:
                raise BatchConflict(batch_id=batch.batch_id)
            return stored["answer"], True
        now = utc_now()
        settings = as_settings(settings)
        results, updates, claimed, freed = _decide(db, batch, digest, now, settings)
        answer = protocol.encode_results(batch.batch_id, results)
        update_store.add_updates(db, updates, now)
        if claimed:  # after the batch's own entries: a registration follows its acceptance
            recheck(db, settings, central_ids=claimed)
        if freed:  # fixes that let go of a NIK: the records waiting for it are judged
            judge_waiting(db, settings, freed, Actor(batch.device_id, "device"), now)
        store.add_batch(db, {
            "batch_id": batch.batch_id, "device_id": batch.device_id,
            "kelurahan_code": batch.kelurahan_code, "content_hash": digest,
            "created_at": batch.created_at, "received_at": now,
            "record_count": len(batch.records), "body_bytes": body_bytes, "answer": answer,
        })
        if delivery is not None:
            answers.record_receipt(db, batch, results, body_bytes, digest, delivery)
    return answer, False


def _decide(db: Database, batch: protocol.Batch, digest: str, now: str,
            settings: dict[str, Any]) -> tuple[list[dict], list[dict], list[int], list[str]]:
    """Per-record results (batch order), the update entries they cause, the
    central ids of the records that carry a KPJ claim, and the NIKs active records
    held before their fix replaced them (the fix may have let go of one:
    :func:`central.waiting.judge_waiting`). The database is asked once per batch for
    everything the records need."""
    kelurahan = batch.kelurahan_code
    ids = [r["id"] for r in batch.records if isinstance(r.get("id"), str)]
    # as the intake stores them (spaces dropped): the rows hold that form
    niks = ["".join(r["nik"].split()) for r in batch.records if isinstance(r.get("nik"), str)]
    # the records held of this batch's ids, and the active ones holding its NIKs
    held, active = store.held_and_active(db, kelurahan, ids, niks)
    # erased here or at the kelurahan (a tombstone when it had not arrived yet):
    # never stored again, whatever version or batch brings it; and the NIKs erased at
    # a request, at any kelurahan or here (usually none): one lookup for both
    erased, requested = _erasures(db, kelurahan, ids, niks)
    # the cohort's rows come from this process's memory (read again after an import)
    snapshot = snapshots.lookup(db, niks, kinds=("dtsen", "bpjs"))
    cohort = (cohort_memory.in_force(db, snapshot["ids"]["cohort"])
              if snapshot["ids"]["cohort"] is not None else None)
    if cohort is not None:
        snapshot["cohort"] = {nik: cohort.by_nik[nik] for nik in niks if nik in cohort.by_nik}
    checks_for = _checks_lookup(snapshot, settings)
    stamp = {"kelurahan_code": kelurahan, "batch_id": batch.batch_id, "content_hash": digest,
             "received_at": now, "updated_at": now, "evaluated_at": now,
             "eligibility_snapshots": checks_for.stamp}
    rows, replaced, kept, seen_in_batch, results = [], [], [], {}, []
    registered_again: list[dict] = []
    refused: list[dict] = []  # new records of a person erased on request: never stored
    fresh: list[tuple[dict, dict]] = []  # (row, erasure): a new consent after it
    held_claims: list[tuple[int, str]] = []
    stored = set(held)
    final = findings.final_decisions(db, list(held.values()))
    # answered duplicate with the pair decision's marker (the kelurahan shows
    # "same person", not "NIK active elsewhere")
    same_person = findings.same_person(db, list(held.values()))
    for record in batch.records:
        if record.get("id") in erased:
            results.append({"record_id": record["id"], "status": "erased"})
            continue
        old = held.get(record.get("id"))
        newer = old is not None and record.get("id") in stored and _newer_version(record, old)
        if newer and int(old["central_id"]) in final:
            # a verifier's final decision: the fix does not undo it, the kelurahan
            # is answered with it again (docs/central.md "What a fix may change")
            kept.append((old, record.get("version"), None))
            stored.discard(record.get("id"))
            newer = False
        taken = newer and _registered_nik_taken(record, old, active, seen_in_batch)
        if taken:
            # a registered worker's fix names a NIK another active record holds: the
            # record stays as held (registered, paid under its KPJ) and a verifier
            # decides whose NIK it is
            kept.append((old, record.get("version"), taken))
            registered_again.append(old)
            stored.discard(record.get("id"))
            newer = False
        if old is not None and not newer:
            claim = eligibility.kpj_claim(record)
            if claim is not None and claim != old.get("kpj_claim") and old["status"] in (
                    "accepted", "rejected"):
                # the record is held, but not the registration a restore lost: keep
                # the claim (the answer stays the earlier decision)
                held_claims.append((int(old["central_id"]), claim))
                old["kpj_claim"] = claim
            results.append(old)
            continue
        erasure = requested.get(_nik(record)) if requested else None
        withdrawn = erasure is not None and captured_before(record, erasure["erased_at"])
        if withdrawn and not newer:
            # the person asked to be erased after this was captured: refused, and
            # nothing of it is kept here (the batch answer and the update tell the
            # kelurahan; central's trail keeps the record id and the code)
            row = {"record_id": record.get("id"), "kelurahan_code": kelurahan,
                   "status": "rejected", "reasons": [ERASED_ON_REQUEST]}
            refused.append(row)
            results.append(row)
            continue
        row = _decide_record(record, kelurahan, active, seen_in_batch, checks_for,
                             held=old if newer else None,
                             held_consent_at=_consent_accepted(db, old) if newer else None,
                             erased_on_request=withdrawn)
        if erasure is not None and not withdrawn:
            fresh.append((row, erasure))
        row.update(stamp)
        row["kpj_claimed_at"] = now if row["kpj_claim"] is not None else None
        if newer:
            # a fix after central sent the record back: same central_id, re-evaluated
            row["central_id"] = old["central_id"]
            replaced.append((row, old))
            stored.discard(record.get("id"))
        else:
            rows.append(row)
        held[record.get("id")] = row  # a repeated id within the batch answers the same
        results.append(row)
    # the active records they could be likely duplicates of, looked up before the batch is
    # stored: its own rows (excluded anyway) would be most of what the index probes find
    candidates = candidate_store.likely_duplicate_candidates(
        db, [r for r in rows + [row for row, _old in replaced] if r["status"] == "accepted"],
        excluding=[int(old["central_id"]) for _row, old in replaced])
    store.insert_records(db, rows)  # gives each row its central_id
    store.set_kpj_claims(db, held_claims, now)
    for row, old in replaced:
        # the NIK BPJS knows a registered worker by, read before the fix closes
        # an earlier finding that holds it
        known = findings.nik_known_to_bpjs(db, old) if old["status"] == "registered" else None
        store.replace_record(db, row)
        findings.after_new_version(db, row, now, batch.device_id)
        if known is not None and known != row["nik"]:
            findings.registered_nik_changed(db, row, known, now)
    for old, version, taken in kept:
        known = findings.nik_known_to_bpjs(db, old) if taken is not None else None
        findings.new_version_refused(db, old, version, now, batch.device_id)
        if known is not None and taken is not None:
            findings.registered_nik_changed(db, {**old, "nik": taken["nik"]}, known, now,
                                                used_by=taken)
    decided = rows + [row for row, _old in replaced]
    for row, erasure in fresh:
        if row["status"] in store.ACTIVE:  # held off the registration file until decided
            findings.erased_before(db, row, erasure, now)
    updates = [u for row in decided + refused for u in answers.updates_for(row)]
    # the kelurahan moves its fixed record to synced with the answer: this puts it
    # back to registered with its KPJ
    updates += [answers.registered_update(old) for old in registered_again]
    updates += likely_duplicates.flag(db, [r for r in decided if r["status"] == "accepted"], now,
                                      candidates=candidates)
    # the DTSEN rows of the batch's NIKs are in hand: only records with one are compared
    in_dtsen = checks_for.snapshot["dtsen"]
    findings.check_dtsen(db, [r["central_id"] for r in decided
                              if r["status"] in store.ACTIVE and r["nik"] in in_dtsen], at=now)
    if cohort is not None:  # the cohort rows born the same day, with a similar name
        findings.check_cohort(db, [r for r in decided if r["status"] == "accepted"], at=now,
                              snapshot_id=snapshot["ids"]["cohort"], cohort=cohort)
    claimed = [central_id for central_id, _claim in held_claims] + [
        int(r["central_id"]) for r in decided if r.get("kpj_claim") is not None]
    freed = [old["nik"] for row, old in replaced
             if old["status"] in store.ACTIVE and (row["nik"] != old["nik"]
                                                   or row["status"] not in store.ACTIVE)]
    return [answers.result_of(r, int(r["central_id"]) in same_person if r.get("central_id") else False)
            for r in results], updates, claimed, freed


def _nik(record: dict) -> str | None:
    """An arriving record's NIK as the intake stores it (spaces dropped)."""
    nik = record.get("nik")
    return "".join(nik.split()) if isinstance(nik, str) else None


def _erasures(db: Database, kelurahan: str, ids: list[str],
              niks: list[str]) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """(the batch's record ids erased here or at their kelurahan, {NIK: its latest
    erasure at a request} for the batch's NIKs). The NIKs are looked up by their keyed
    pseudonyms (central's key, as :func:`central.privacy.erase_nik` stores them), in
    the same indexed lookup of ``erasures`` as the ids. A kelurahan's retention purge
    is left out (nobody asked for it), as are tombstones (no NIK known)."""
    by_alias = ({alias: nik for nik, alias in
                 pseudonyms(load_key(db.data_dir), dict.fromkeys(niks)).items()} if niks else {})
    erased, found = privacy_store.batch_erasures(db, kelurahan, ids, list(by_alias),
                                                 RETENTION_REASON_PREFIX)
    return set(erased), {by_alias[alias]: row for alias, row in found.items()}


def _registered_nik_taken(record: dict, held: dict, active: dict,
                         seen_in_batch: dict) -> dict | None:
    """For a fix of a registered record that changes its NIK: the other active
    record holding the new NIK (with ``nik``), or None."""
    nik = str(record.get("nik"))
    if held.get("status") != "registered" or nik == held.get("nik"):
        return None
    holder = active.get(nik) or seen_in_batch.get(nik)
    if holder is None or holder.get("central_id") == held["central_id"]:
        return None
    return {"nik": nik, "kelurahan_code": holder["kelurahan_code"],
            "record_id": holder["record_id"]}


def _newer_version(record: dict, held: dict) -> bool:
    """Whether an arriving record is a newer version of the one held (a fix)."""
    version, old = record.get("version"), held.get("version")
    return (isinstance(version, int) and not isinstance(version, bool)
            and isinstance(old, int) and version > old)


def _consent_accepted(db: Database, held: dict | None) -> str | None:
    """The consent time central accepted the held version with, not judged again on
    a newer version that keeps it (docs/central.md "Records central judges"); None
    (the time is judged) when central did not accept it: the held version was refused
    (an intake rule such as ``invalid_consent``, a snapshot rule, a duplicate), or it
    is active but sent back for its consent (the send-back's reason names it)."""
    if held is None or held.get("status") not in store.ACTIVE:
        return None
    if names_consent(held.get("reasons")) or findings.sent_back_for_consent(
            db, int(held["central_id"])):
        return None
    return _consent_at(held)


def _consent_at(held: dict | None) -> str | None:
    """The consent time of a held record (its ``consent`` column, JSON text)."""
    text = held.get("consent") if held is not None else None
    try:
        consent = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return None
    return consent.get("at") if isinstance(consent, dict) else None


def _decide_record(record: dict, kelurahan: str, active: dict, seen_in_batch: dict,
                   checks_for: Callable[..., tuple[list, list]],
                   held: dict | None = None,
                   held_consent_at: str | None = None,
                   erased_on_request: bool = False) -> dict[str, Any]:
    """The row to store for one new record (its values plus the decision).
    ``held``: the record this newer version replaces (it does not hold its own NIK
    against itself; its own registration is not "already a participant"; a
    registered record with the same NIK stays registered with its KPJ).
    ``held_consent_at``: the consent time central accepted ``held`` with
    (:func:`_consent_accepted`), not judged again when the record keeps it.
    ``erased_on_request``: a fix whose NIK was erased at a request after its capture
    or consent: rejected (:data:`ERASED_ON_REQUEST`) with any other problem found."""
    itself = held["central_id"] if held is not None else None
    # a valid record is stored as the intake loads it (the kelurahan's stored form:
    # list spellings, +62 phones, RT/RW of three digits...), a refused one as sent
    problems, loaded = eligibility.judge_record(record, kelurahan, checks_for.settings,
                                                held_consent_at=held_consent_at)
    row = dict(loaded if loaded is not None else record)
    name = row.get("full_name")
    claim = eligibility.kpj_claim(record)
    row.update(record_id=record.get("id"), nik=str(row.get("nik")), kpj_claim=claim,
               name_key=dedupe.name_key(name if isinstance(name, str) else ""),
               status="accepted", reasons=None, checks=None, eligibility=None,
               disability=row.get("disability"),
               possible_duplicate=row.get("possible_duplicate"),
               duplicate_of_kelurahan=None, duplicate_of_record=None)
    holder = active.get(row["nik"]) or seen_in_batch.get(row["nik"])
    if holder is not None and itself is not None and holder.get("central_id") == itself:
        holder = None
    if erased_on_request:
        problems = [*problems, ERASED_ON_REQUEST]
    if problems:
        row.update(status="rejected", reasons=problems)
    elif holder is not None:
        row.update(status="duplicate", duplicate_of_kelurahan=holder["kelurahan_code"],
                   duplicate_of_record=holder["record_id"])
    else:
        listed = checks_for.snapshot["bpjs"].get(row["nik"]) or {}
        # a claim the list contradicts is compared first (eligibility.registered_by_program)
        ours = (held is not None and held.get("status") == "registered") or (
            eligibility.registered_by_program(
                claim, bool(listed), listed.get("kpj_number"),
                held is not None and held.get("registration_exported_at") is not None))
        checks, reasons = checks_for(row, ours)
        if not ours:  # a claimed KPJ the list does not confirm: a verifier decides
            reasons = eligibility.held_for_claim(reasons, claim)
        row.update(checks=checks, eligibility=checks, status="rejected" if reasons else "accepted",
                   reasons=reasons or None)
        if held is not None and held.get("status") == "registered":
            # BPJS registered this person under its KPJ: the fix changes the data, not
            # that; a changed NIK raises a finding to correct it at BPJS (ingest)
            row.update(status="registered", reasons=None, kpj_number=held.get("kpj_number"),
                       coverage_start=held.get("coverage_start"))
        if row["status"] in store.ACTIVE:
            seen_in_batch[row["nik"]] = row
    return row


class _Checks:
    """row -> (rule results, rejection codes) for one batch, with the shared rules
    and what central holds; ``stamp`` is the snapshot ids and parameter set used."""

    def __init__(self, snapshot: dict, settings: dict[str, Any]) -> None:
        self.settings = settings  # the intake rules' too (eligibility.record_problems)
        self.today = local_time.today()
        self.params = rules.parameters_on(self.today, settings)
        self.snapshot = snapshot
        self.stamp = eligibility.snapshot_stamp(snapshot["ids"], self.params)

    def __call__(self, row: dict, ours: bool = False) -> tuple[list, list]:
        """``ours``: central put this record on a registration file itself, so the
        BPJS list showing its NIK is its own registration, not another membership."""
        nik = row["nik"]
        dtsen = self.snapshot["dtsen"].get(nik)
        cohort = self.snapshot["cohort"].get(nik)
        refused = self.snapshot["unreadable"].get(nik)  # rows an import could not read
        proof = eligibility.evidence(self.snapshot["ids"], dtsen and dtsen["desil"],
                                     self.snapshot["bpjs"].get(nik),
                                     cohort and cohort["coverage_start"], ours,
                                     eligibility.unreadable_of(refused) if refused else None)
        return eligibility.decide(row, self.params, proof, self.today)


def _checks_lookup(snapshot: dict, settings: dict[str, Any]) -> _Checks:
    """The per-batch rule evaluator."""
    return _Checks(snapshot, settings)


