"""A record central refuses by an intake rule goes back to be fixed, through the real
agent (both central backends). (a) The laptop's `work_categories` has "Ojol", central's
has not; (b) the record's kelurahan is another real Makassar kelurahan (the kelurahan's
intake accepts it: the supervisor decides, api.md). Either way central answers
`rejected` with the intake code, the kelurahan moves the record to needs_fix (central
status sent_back, the reason in Indonesian), the enumerator fixes it, a supervisor
approves it, and central judges the new version again under the same central id."""

from __future__ import annotations

import pytest

from berjasa.database import connect
from berjasa.problems import ValidationFailed
from berjasa.record_reasons import RECORD_REASON_TEXT
from berjasa.settings import load_settings, write_setting
from server import lifecycle
from server.intake import edit_enrollment
from server.storage.audit import Actor
from sync import outcomes
from sync.agent import run_once
from tests.helpers import intake_before_the_format_rule

from .conftest import A, h

ENUMERATOR = Actor("enumerator", "enumerator")
SUPERVISOR = Actor("pengawas2", "supervisor")  # not the one who recorded or edited it
OTHER_KELURAHAN = "73.71.01.1002"


@pytest.fixture
def laptop(tmp_path, central):
    """Kelurahan A's laptop, whose own list of work categories has "Ojol" too."""
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    write_setting(folder, "work_categories", [*load_settings(None)["work_categories"], "Ojol"])
    central.register(folder)
    return folder


def _row(folder, record_id: str) -> dict:
    return h.kelurahan_rows(folder, "SELECT status, version, central_status, central_reason,"
                                    " work_category, kelurahan_code FROM enrollments WHERE id = ?",
                            (record_id,))[0]


def _fix_and_approve(folder, record_id: str, change: dict) -> None:
    """The enumerator's PATCH (needs_fix -> submitted), then a supervisor's approval."""
    conn = connect(folder / "kelurahan.db")
    try:
        version = _row(folder, record_id)["version"]
        edited = edit_enrollment(conn, record_id, change, version, ENUMERATOR, load_settings(folder))
        assert edited["status"] == "submitted"
        lifecycle.transition(conn, record_id, "approved", SUPERVISOR)
    finally:
        conn.close()


@pytest.mark.parametrize(("recorded", "reason", "fix", "words"), [
    ({"work_category": "Ojol"}, "invalid_work_category", {"work_category": "Pengemudi ojek"},
     "Kategori pekerjaan tidak ada dalam daftar pusat"),
    ({"kelurahan_code": OTHER_KELURAHAN}, "kelurahan_mismatch", {"kelurahan_code": A},
     "Kode kelurahan bukan kelurahan laptop pengirim"),
], ids=["work_category_only_on_the_laptop", "another_kelurahan"])
def test_a_record_central_refuses_by_an_intake_rule_is_fixed_and_accepted(
        central, laptop, recorded, reason, fix, words):
    ids = h.seed_approved(laptop, 2, seed=41)
    bad = h.seed_approved(laptop, 1, seed=42, **recorded)[0]
    report = run_once(laptop, h.agent_settings(laptop), "test")
    assert report.ok
    first = central.query("SELECT central_id, status, reasons, version FROM records"
                          " WHERE record_id = ?", (bad,))[0]
    assert first["status"] == "rejected" and reason in first["reasons"]
    row = _row(laptop, bad)
    assert (row["status"], row["central_status"]) == ("needs_fix", "sent_back")
    assert row["central_reason"] == outcomes.SENT_BACK_PREFIX + words
    assert {h.statuses(laptop)[i] for i in ids} == {"synced"}
    # the pulled `rejected` update of the same decision leaves it where it is
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    assert _row(laptop, bad)["status"] == "needs_fix"

    _fix_and_approve(laptop, bad, fix)
    report = run_once(laptop, h.agent_settings(laptop), "test")
    assert report.ok and report.records_sent == 1
    held = central.query("SELECT central_id, status, version, work_category, kelurahan_code"
                         " FROM records WHERE record_id = ?", (bad,))
    assert len(held) == 1 and held[0]["central_id"] == first["central_id"]
    assert held[0]["status"] == "accepted" and held[0]["version"] > first["version"]
    assert {k: held[0][k] for k in fix} == fix
    row = _row(laptop, bad)
    assert (row["status"], row["central_status"]) == ("synced", "accepted")
    trail = h.kelurahan_rows(laptop, "SELECT changes FROM audit_log WHERE record_id = ?"
                                     " ORDER BY seq", (bad,))
    moves = [t["changes"] for t in trail if '"status"' in t["changes"]]
    assert any('["approved", "needs_fix"]' in m for m in moves), moves


def test_an_address_an_older_intake_stored_with_a_direction_override_goes_back_to_be_fixed(
        central, laptop):
    """Before free text refused invisible format characters, an address with U+202E was
    stored and approved. Central judges it by today's intake rules: `invalid_address`,
    sent back with words that say what to do; the fixed address is accepted."""
    with intake_before_the_format_rule():
        bad = h.seed_approved(laptop, 1, seed=45, address="Jl. Somba Opu \u202e12 .oN")[0]
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    held = central.query("SELECT status, reasons FROM records WHERE record_id = ?", (bad,))[0]
    assert held["status"] == "rejected" and "invalid_address" in held["reasons"]
    row = _row(laptop, bad)
    assert (row["status"], row["central_status"]) == ("needs_fix", "sent_back")
    assert row["central_reason"] == outcomes.SENT_BACK_PREFIX + RECORD_REASON_TEXT["invalid_address"]
    assert "U+202E" in row["central_reason"] and "ketik ulang" in row["central_reason"]
    conn = connect(laptop / "kelurahan.db")
    try:  # today's intake names the character when the old address is sent again
        with pytest.raises(ValidationFailed) as still:
            edit_enrollment(conn, bad, {"notes": "dicek"}, _row(laptop, bad)["version"], ENUMERATOR,
                            load_settings(laptop))
        assert still.value.to_dict()["error_codes"] == {"address": ["unprintable_characters"]}
    finally:
        conn.close()
    _fix_and_approve(laptop, bad, {"address": "Jl. Somba Opu No. 21"})
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    assert central.query("SELECT status, address FROM records WHERE record_id = ?", (bad,)) == [
        {"status": "accepted", "address": "Jl. Somba Opu No. 21"}]


def test_a_record_an_older_agent_left_central_rejected_goes_back_to_be_fixed(
        central, laptop, monkeypatch):
    """Before this rule the answer made the record central_rejected for good (PATCH,
    review and a new capture all refused). The upgraded agent's next pull sends it
    back to be fixed; a rejection for what central holds (DTSEN, BPJS) stays."""
    bad = h.seed_approved(laptop, 1, seed=43, work_category="Ojol")[0]
    with monkeypatch.context() as older_agent:
        older_agent.setattr(outcomes, "_fix_request", lambda decision: None)
        older_agent.setattr(outcomes, "reopen_fixable_rejections", lambda conn: 0)
        assert run_once(laptop, h.agent_settings(laptop), "test").ok
    row = _row(laptop, bad)
    assert (row["status"], row["central_reason"]) == ("central_rejected",
                                                     "rejected: invalid_work_category")
    conn = connect(laptop / "kelurahan.db")
    try:  # a rule on central's data: not something to fix here
        conn.execute("UPDATE enrollments SET status = 'central_rejected',"
                     " central_reason = 'rejected: dtsen_desil_above_cutoff' WHERE id = ?",
                     (h.seed_approved(laptop, 1, seed=44)[0],))
        conn.commit()
    finally:
        conn.close()
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    statuses = {r["central_reason"]: r["status"] for r in h.kelurahan_rows(
        laptop, "SELECT status, central_reason FROM enrollments")}
    assert statuses == {outcomes.SENT_BACK_PREFIX + "Kategori pekerjaan tidak ada dalam daftar pusat":
                        "needs_fix", "rejected: dtsen_desil_above_cutoff": "central_rejected"}
    _fix_and_approve(laptop, bad, {"work_category": "Pengemudi ojek"})
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    assert _row(laptop, bad)["status"] == "synced"
