"""A person erased at their request comes back through another kelurahan
(docs/central.md "A person erased on request, met again"; docs/privacy.md). Central
judges every arriving record against the erasures it holds, whichever kelurahan
made them: a record captured or consented to at or before the erasure is refused
(``rejected``, ``erased_on_request``; nothing of it is stored at central) and the
kelurahan shows the reason; one captured and consented to after it (a new consent)
is accepted but held off the BPJS registration file by a ``nik_erased_before``
finding until a verifier decides. A kelurahan's retention purge is nobody's request
and refuses nothing. A real central (both backends), two kelurahan laptops synced by
the agent, the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import sys
import time
from pathlib import Path

from berjasa.erasure import retention_reason
from central.privacy import erase_from_device
from central.storage.db import Database
from server.pages.labels import central_reason_text
from sync.agent import run_once
from sync.protocol_erasures import Erasures
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A, B = "73.71.01.1001", "73.71.02.1001"
PASS_ALL = json.dumps([{"rule": r, "result": "pass", "reason": "memenuhi"} for r in
                       ("domicile", "occupation", "age", "council", "dtsen", "bpjs_membership")])


def _now() -> str:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0).isoformat()


def _person(folder: Path, record_id: str) -> dict:
    return h.kelurahan_rows(folder, "SELECT * FROM enrollments WHERE id = ?", (record_id,))[0]


def _sync(folder: Path) -> None:
    assert run_once(folder, h.agent_settings(folder), "test").ok


def _same_person(person: dict, **times: str) -> dict:
    """Overrides for seed_approved: the person's identity, and the given times."""
    consent = json.loads(person["consent"])
    if "consent_at" in times:
        consent["at"] = times["consent_at"]
    return {"nik": person["nik"], "full_name": person["full_name"],
            "birth_date": person["birth_date"], "sex": person["sex"], "consent": consent,
            "captured_at": times.get("captured_at", person["captured_at"])}


def _two_kelurahan(central, tmp_path: Path) -> tuple[Path, Path]:
    a, b = h.make_kelurahan(tmp_path / "kel-a", A), h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(a)
    central.register(b)
    return a, b


def _one_synced(folder: Path, seed: int) -> str:
    """One person recorded, approved and sent to central; the record id."""
    [record_id] = h.seed_approved(folder, 1, seed=seed)
    _sync(folder)
    return record_id


def _change(central, sql: str, params: tuple) -> None:
    """One statement on central's database, committed."""
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        with db.transaction():
            db.run(sql, params)
    finally:
        db.close()


def _registration_niks(central) -> set[str]:
    """The NIKs on central's BPJS registration file (every rule made to pass: what
    stays off is a hold's doing)."""
    _change(central, "UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    berjasa("central", "init", "--database", central.database_url,
            data_dir=central.data_dir)
    done = berjasa("central", "export", "--format", "csv", "--what", "bpjs-registration",
                   data_dir=central.data_dir)
    assert done.returncode == 0, done.stderr
    return {row["NIK"].lstrip("'") for row in
            csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff")))}, done.stderr


def _erase_at(folder: Path, nik: str) -> None:
    done = berjasa("privacy", "erase", nik, "--reason", "Surat No. 470/77/Kel/XI/2026",
                   "--data-dir", str(folder))
    assert done.returncode == 0, done.stderr
    _sync(folder)  # the erasure reaches central


def test_an_old_copy_elsewhere_is_refused_a_new_consent_is_held_for_a_verifier(central, tmp_path):
    a, b = _two_kelurahan(central, tmp_path)
    person = _person(a, _one_synced(a, 41))
    _erase_at(a, person["nik"])
    [erasure] = central.query("SELECT erased_at, pseudonym FROM erasures")
    assert erasure["pseudonym"]

    # B holds a copy captured (and consented to) before the erasure: refused
    [copy] = h.seed_approved(b, 1, seed=42, **_same_person(person))
    _sync(b)
    at_b = _person(b, copy)
    assert at_b["status"] == "central_rejected"
    assert at_b["central_reason"] == "rejected: erased_on_request"
    assert "meminta datanya dihapus" in central_reason_text(at_b["central_reason"])
    # nothing of it stays at central: no record, no NIK; its trail says the code
    assert central.query("SELECT 1 AS x FROM records WHERE record_id = ?", (copy,)) == []
    assert central.query("SELECT 1 AS x FROM records WHERE nik = ?", (person["nik"],)) == []
    assert central.query("SELECT outcome FROM audit_targets WHERE target = ?",
                         (f"{B}/{copy}",)) == [{"outcome": "rejected v2: erased_on_request"}]

    # recorded again after the erasure, with a new consent: accepted, held by a finding
    time.sleep(1.1)  # captured_at is whole seconds
    fresh_at = _now()
    [fresh] = h.seed_approved(a, 1, seed=44, **_same_person(
        person, consent_at=fresh_at, captured_at=fresh_at))
    _sync(a)
    [held] = central.query("SELECT central_id, status FROM records WHERE record_id = ?", (fresh,))
    assert held["status"] == "accepted"
    [finding] = central.query("SELECT id, kind, evidence, status FROM findings"
                              " WHERE central_id = ?", (held["central_id"],))
    assert (finding["kind"], finding["status"]) == ("nik_erased_before", "open")
    evidence = json.loads(finding["evidence"])
    assert evidence["message"].startswith("NIK ini pernah dihapus atas permintaan pada ")
    assert evidence["erased_at"] == erasure["erased_at"] and evidence["erased_in"] == A
    assert person["nik"] not in finding["evidence"]

    niks, said = _registration_niks(central)
    assert person["nik"] not in niks
    assert "[nik_erased_before]" in said

    # the verifier makes sure of the new consent: on the file from then on
    done = berjasa("central", "decide", str(finding["id"]), "--decision", "confirm",
                   "--reason", "Formulir persetujuan baru 12/XI/2026 diperiksa",
                   data_dir=central.data_dir)
    assert done.returncode == 0, done.stderr + done.stdout
    niks, _said = _registration_niks(central)
    assert person["nik"] in niks


def test_a_retention_purge_elsewhere_refuses_nothing(central, tmp_path):
    """A record B's retention purge erased (rejected long ago: nobody asked) does not
    stop the same person's record from A."""
    a, b = _two_kelurahan(central, tmp_path)
    at_b = _one_synced(b, 51)
    person = _person(b, at_b)
    # what B's purge sends for a record central held: the retention reason, by B's device
    _change(central, "UPDATE records SET status = 'rejected' WHERE record_id = ?", (at_b,))
    [device] = central.query("SELECT * FROM devices WHERE kelurahan_code = ?", (B,))
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        erase_from_device(db, central.data_dir, Erasures(
            erasure_id="00000000-0000-4000-8000-000000000051", device_id=device["device_id"],
            kelurahan_code=B, created_at=_now(),
            records=[{"record_id": at_b, "erased_at": _now(), "origin": "kelurahan",
                      "reason": retention_reason(365)}]), device)
    finally:
        db.close()
    [copy] = h.seed_approved(a, 1, seed=52, **_same_person(person))
    _sync(a)
    [held] = central.query("SELECT central_id, status FROM records WHERE record_id = ?", (copy,))
    assert held["status"] == "accepted"
    assert central.query("SELECT kind FROM findings WHERE central_id = ?",
                         (held["central_id"],)) == []
