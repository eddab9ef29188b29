"""api: POST /enrollments/:id/review › decisions, reasons, the lifecycle (409
with the current status), maker-checker, two tabs at once, another kelurahan's
record, overridden warnings; then what is in the database."""

from __future__ import annotations

import threading

import pytest

from berjasa.database import connect
from server import intake
from server.install import init_kelurahan
from server.storage import audit
from server.storage.audit import Actor
from tests.helpers import intake_before_the_format_rule


def submit(api, records, username="enumerator", **overrides) -> dict:
    """Record one enrollment as ``username`` and return the payload."""
    payload = records.enrollment(**overrides)
    answer = api(username).post("/api/v1/enrollments", json=payload)
    assert answer.status_code == 201, answer.text
    return payload


def review(client, enrollment_id, decision, reason=None, **extra):
    return client.post(f"/api/v1/enrollments/{enrollment_id}/review",
                       json={"decision": decision, "reason": reason, **extra})


def test_approve_moves_to_approved_with_history_and_audit(api, records, data_dir):
    record = submit(api, records)
    answer = review(api("supervisor"), record["id"], "approve")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "approved" and body["version"] == 2
    assert body["reviewed_by"] == "supervisor" and body["reviewed_at"]
    assert answer.headers["ETag"] == '"2"'
    assert body["history"][-1]["action"] == "approve"
    conn = connect(data_dir / "kelurahan.db")
    entries = [e for e in audit.iter_entries(conn, record_id=record["id"])
               if e["action"] == "enrollment.status"]
    assert len(entries) == 1 and entries[0]["actor"] == "supervisor"
    assert '"status": ["submitted", "approved"]' in entries[0]["changes"]
    assert audit.verify_chain(conn)[1] is None


@pytest.mark.parametrize("decision,status", [("reject", "rejected"), ("needs_fix", "needs_fix")])
def test_reject_and_needs_fix_need_a_reason(api, records, decision, status):
    record = submit(api, records)
    supervisor = api("supervisor")
    # nothing a person can read: the enumerator would see an empty "Alasan:"
    for reason in (None, "", "   ", "\u00a0\n"):
        answer = review(supervisor, record["id"], decision, reason)
        assert answer.status_code == 422
        assert answer.json()["error_codes"]["reason"] == ["reason_required"]
    # invisible characters alone, or inside words: named by their code (docs/api.md)
    for reason, code in (("\u200b\u200b", "U+200B"), ("\u202e", "U+202E"),
                         (" \u2066\u00a0\u200d ", "U+2066"),
                         ("Foto KTP \u202eburam", "U+202E"), ("RT\u2060salah", "U+2060")):
        answer = review(supervisor, record["id"], decision, reason)
        assert answer.status_code == 422
        assert answer.json()["error_codes"]["reason"] == ["unprintable_characters"]
        assert code in answer.json()["errors"]["reason"][0]
    answer = review(supervisor, record["id"], decision, "Foto KTP tidak terbaca <b>")
    assert answer.status_code == 200
    assert answer.json()["status"] == status
    assert answer.json()["review_reason"] == "Foto KTP tidak terbaca <b>"


@pytest.mark.parametrize("body", [{"decision": "maybe"}, {"decision": None}, {},
                                  {"decision": "approve", "reason": 5}])
def test_bad_decision_bodies_are_422(api, records, body):
    record = submit(api, records)
    answer = api("supervisor").post(f"/api/v1/enrollments/{record['id']}/review", json=body)
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


def test_second_decision_is_409_with_current_status(api, records):
    record = submit(api, records)
    supervisor = api("supervisor")
    assert review(supervisor, record["id"], "reject", "Bukan warga").status_code == 200
    for decision in ("approve", "reject", "needs_fix"):
        answer = review(supervisor, record["id"], decision, "lagi")
        assert answer.status_code == 409
        assert answer.json() == {**answer.json(), "code": "invalid_transition",
                                 "current_status": "rejected"}


def test_stale_version_from_the_page_is_409(api, records):
    record = submit(api, records)
    answer = review(api("supervisor"), record["id"], "approve", version=7)
    assert answer.status_code == 409 and answer.json()["current_status"] == "submitted"


def test_supervisor_cannot_decide_on_what_they_recorded(api, records):
    record = submit(api, records, username="supervisor")
    answer = review(api("supervisor"), record["id"], "approve")
    assert answer.status_code == 403
    assert answer.json()["code"] == "maker_checker"
    assert review(api("supervisor2"), record["id"], "approve").status_code == 200


def test_supervisor_cannot_decide_on_what_they_last_edited(api, records):
    record = submit(api, records)
    supervisor = api("supervisor")
    edit = supervisor.patch(f"/api/v1/enrollments/{record['id']}", json={"rt": "009"},
                            headers={"If-Match": "1"})
    assert edit.status_code == 200, edit.text
    assert review(supervisor, record["id"], "approve").json()["code"] == "maker_checker"
    assert review(api("supervisor2"), record["id"], "approve").status_code == 200


def test_a_supervisor_who_edited_stays_a_maker_after_someone_else_edits(api, records):
    """Issue 13 item 3: the supervisor changed the income, the enumerator then
    edited the notes (so the supervisor is no longer the last editor)."""
    record = submit(api, records)
    supervisor = api("supervisor")
    edit = supervisor.patch(f"/api/v1/enrollments/{record['id']}",
                            json={"monthly_income": 1_750_000}, headers={"If-Match": "1"})
    assert edit.status_code == 200, edit.text
    edit = api("enumerator").patch(f"/api/v1/enrollments/{record['id']}",
                                   json={"notes": "catatan diperbaiki"}, headers={"If-Match": "2"})
    assert edit.status_code == 200, edit.text
    assert edit.json()["last_edited_by"] == "enumerator"
    answer = review(supervisor, record["id"], "approve")
    assert answer.status_code == 403 and answer.json()["code"] == "maker_checker"
    assert review(api("supervisor2"), record["id"], "approve").status_code == 200


def test_needs_fix_then_edit_returns_to_submitted_keeping_old_values(api, records):
    record = submit(api, records)
    supervisor = api("supervisor")
    assert review(supervisor, record["id"], "needs_fix", "RT salah").status_code == 200
    edit = api("enumerator").patch(f"/api/v1/enrollments/{record['id']}", json={"rt": "011"},
                                   headers={"If-Match": "2"})
    assert edit.status_code == 200, edit.text
    body = edit.json()
    assert body["status"] == "submitted"
    assert body["history"][-1]["old_values"] == {"rt": record["rt"]}
    assert review(supervisor, record["id"], "approve").status_code == 200


def test_a_supervisors_edit_of_a_record_sent_back_keeps_it_waiting_for_the_fix(api, records):
    """QA's steps: supervisor sends a record back for the mother's name; another
    supervisor meanwhile corrects the heir's phone. That edit is kept, but the record
    stays needs_fix with its reason (it was not the fix): the enumerator's fix, based
    on the older version, is told "changed by someone else" (412), reloads, sends the
    fix and only then is it back in the queue. The supervisor who edited may not
    approve it (maker-checker); the one who sent it back may."""
    record = submit(api, records)
    url = f"/api/v1/enrollments/{record['id']}"
    sender, editor, enumerator = api("supervisor"), api("supervisor2"), api("enumerator")
    assert review(sender, record["id"], "needs_fix",
                  "Nama ibu kandung tidak lengkap").status_code == 200
    edit = editor.patch(url, json={"heir_phone": "081277777777"}, headers={"If-Match": "2"})
    assert edit.status_code == 200, edit.text
    body = edit.json()
    assert (body["status"], body["version"], body["heir_phone"]) == ("needs_fix", 3, "+6281277777777")
    assert body["review_reason"] == "Nama ibu kandung tidak lengkap"
    assert body["last_edited_by"] == "supervisor2"
    # not decidable: the problem it was sent back for is still there
    answer = review(sender, record["id"], "approve")
    assert answer.status_code == 409 and answer.json()["current_status"] == "needs_fix"
    # the phone's fix was made on version 2
    stale = enumerator.patch(url, json={"mother_name": "Hasnah binti Daeng Lalo"},
                             headers={"If-Match": "2"})
    assert stale.status_code == 412
    reloaded = enumerator.get(url).json()
    assert (reloaded["status"], reloaded["version"]) == ("needs_fix", 3)
    assert reloaded["review_reason"] == "Nama ibu kandung tidak lengkap"
    fixed = enumerator.patch(url, json={"mother_name": "Hasnah binti Daeng Lalo"},
                             headers={"If-Match": "3"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "submitted"
    assert fixed.json()["mother_name"] == "Hasnah binti Daeng Lalo"
    assert fixed.json()["heir_phone"] == "+6281277777777"  # the supervisor's edit kept
    answer = review(editor, record["id"], "approve")
    assert answer.status_code == 403 and answer.json()["code"] == "maker_checker"
    assert review(sender, record["id"], "approve").status_code == 200


def test_a_supervisor_makes_the_fix_only_when_saying_so(api, records):
    """``?resubmit=true``: the supervisor's edit is the fix (e.g. the enumerator has
    left); the record is back in the queue, and that supervisor is now a maker."""
    record = submit(api, records)
    url = f"/api/v1/enrollments/{record['id']}"
    sender, fixer = api("supervisor"), api("supervisor2")
    assert review(sender, record["id"], "needs_fix", "RT salah").status_code == 200
    bad = fixer.patch(url, params={"resubmit": "mungkin"}, json={"rt": "011"},
                      headers={"If-Match": "2"})
    assert bad.status_code == 422 and "resubmit" in bad.json()["errors"]
    kept = fixer.patch(url, params={"resubmit": "false"}, json={"rt": "011"},
                       headers={"If-Match": "2"})
    assert kept.status_code == 200 and kept.json()["status"] == "needs_fix"
    fixed = fixer.patch(url, params={"resubmit": "true"}, json={"rt": "012"},
                        headers={"If-Match": "3"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "submitted"
    assert review(fixer, record["id"], "approve").json()["code"] == "maker_checker"
    assert review(sender, record["id"], "approve").status_code == 200


def test_a_record_sent_back_returns_to_the_queue_with_no_change(api, records, data_dir):
    """QA: a supervisor corrected a sent-back record (it stays needs_fix); the
    enumerator sees the corrected values and presses Simpan with no change; a
    supervisor's ``?resubmit=true`` with the same values or an empty body. Each is
    the fix (docs/roles.md): back to submitted, a new version, an edit in history and
    the audit trail. A PATCH with no change that moves nothing stores nothing."""
    for who, body, params in (("enumerator", {}, {}),
                              ("enumerator", {"rt": "011"}, {}),
                              ("supervisor2", {}, {"resubmit": "true"}),
                              ("supervisor2", {"rt": "011"}, {"resubmit": "true"})):
        record = submit(api, records)
        url = f"/api/v1/enrollments/{record['id']}"
        sender, fixer = api("supervisor"), api("supervisor2")
        assert review(sender, record["id"], "needs_fix", "RT salah").status_code == 200
        kept = fixer.patch(url, json={"rt": "011"}, headers={"If-Match": "2"})
        assert kept.status_code == 200 and kept.json()["status"] == "needs_fix"
        # the same values again without resubmit, or the enumerator's "not yet": no move
        idle = fixer.patch(url, json={"rt": "011"}, headers={"If-Match": "3"})
        assert (idle.json()["status"], idle.json()["version"]) == ("needs_fix", 3)
        idle = api("enumerator").patch(url, params={"resubmit": "false"}, json={},
                                       headers={"If-Match": "3"})
        assert (idle.json()["status"], idle.json()["version"]) == ("needs_fix", 3)
        answer = api(who).patch(url, params=params, json=body, headers={"If-Match": "3"})
        assert answer.status_code == 200, answer.text
        moved = answer.json()
        assert (moved["status"], moved["version"], moved["rt"]) == ("submitted", 4, "011"), who
        assert answer.headers["ETag"] == '"4"'
        last = moved["history"][-1]
        assert (last["action"], last["changed_by"]) == ("edit", who)
        assert (last["old_values"], last["new_values"]) == ({"status": "needs_fix"},
                                                            {"status": "submitted"})
        entries = [e for e in audit.iter_entries(connect(data_dir / "kelurahan.db"),
                                                 record_id=record["id"])
                   if e["action"] == "enrollment.edit"]
        assert '"status": ["needs_fix", "submitted"]' in entries[-1]["changes"]
        # a submitted record: a PATCH with no change stays a no-op (no new version)
        again = api("enumerator").patch(url, json={}, headers={"If-Match": "4"})
        assert (again.json()["status"], again.json()["version"]) == ("submitted", 4)
        # the one who sent it back decides (the supervisor who edited it may not)
        assert review(fixer, record["id"], "approve").json()["code"] == "maker_checker"
        assert review(sender, record["id"], "approve").status_code == 200


@pytest.mark.parametrize("username", ["enumerator", "admin", "auditor"])
def test_only_supervisors_review(api, records, username):
    record = submit(api, records)
    answer = review(api(username), record["id"], "approve")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_unknown_and_other_kelurahan_records_are_404(api, records, tmp_path):
    other_dir = tmp_path / "other"
    init_kelurahan(other_dir, "73.71.01.1002")
    conn = connect(other_dir / "kelurahan.db")
    from berjasa.settings import load_settings
    from berjasa.synthetic import EnrollmentFaker
    payload = EnrollmentFaker("73.71.01.1002", seed=99).enrollment()
    intake.create_enrollment(conn, payload, Actor("petugas", "enumerator"),
                             load_settings(other_dir))
    conn.close()
    supervisor = api("supervisor")
    assert review(supervisor, payload["id"], "approve").status_code == 404
    assert review(supervisor, "00000000-0000-4000-8000-000000000000", "approve").status_code == 404


def test_two_tabs_at_once_exactly_one_decision_wins(api, records, data_dir):
    record = submit(api, records)
    tabs = [api("supervisor") for _ in range(3)] + [api("supervisor2") for _ in range(3)]
    decisions = ["approve", "reject", "needs_fix"] * 2
    barrier = threading.Barrier(len(tabs))
    answers: list = [None] * len(tabs)

    def decide(index):
        barrier.wait()
        answers[index] = review(tabs[index], record["id"], decisions[index], "alasan")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (len(tabs) - 1)
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    assert {a.json()["current_status"] for a in answers if a.status_code == 409} == {winner}
    conn = connect(data_dir / "kelurahan.db")
    decided = [e for e in audit.iter_entries(conn, record_id=record["id"])
               if e["action"] == "enrollment.status"]
    assert len(decided) == 1


def test_approval_records_the_overridden_warnings(api, records):
    record = submit(api, records, occupation="Pegawai Negeri Sipil (PNS)")
    answer = review(api("supervisor"), record["id"], "approve", "Honorer, bukan PNS")
    assert answer.status_code == 200
    decision = answer.json()["history"][-1]["new_values"]
    assert "occupation" in [w["code"] for w in decision["overridden_warnings"]]
    failed = [r["rule"] for r in answer.json()["eligibility"] if r["result"] == "fail"]
    assert failed == ["occupation"]


def test_review_page_shows_phones_as_people_dial_them(api, records):
    """Stored as +62..., shown in the national 08... form (as the exports write them)."""
    payload = submit(api, records, phone="+62 812-3456-7890", heir_phone="6281122334455")
    stored = api("supervisor").get(f"/api/v1/enrollments/{payload['id']}").json()
    assert (stored["phone"], stored["heir_phone"]) == ("+6281234567890", "+6281122334455")
    page = api("supervisor").get(f"/enrollments/{payload['id']}").text
    assert "081234567890" in page and "081122334455" in page and "+62812" not in page


def test_review_page_shows_typed_text_without_letting_it_reorder_the_page(api, records):
    """The intake refuses a right-to-left override (U+202E) and other invisible format
    characters; a record an older version stored with them is shown with the
    character's code instead of being reordered, and a multi-line address stays readable."""
    address = "Jl. Somba Opu\u202e 21 .oN\nRT 2 <b>x</b>"
    refused = api("enumerator").post("/api/v1/enrollments",
                                     json=records.enrollment(address=address))
    assert refused.status_code == 422
    assert refused.json()["error_codes"] == {"address": ["unprintable_characters"]}
    with intake_before_the_format_rule():
        payload = submit(api, records, address=address, notes="catatan\u2066rahasia")
    assert api("supervisor").get(f"/api/v1/enrollments/{payload['id']}").json()["address"] == address
    page = api("supervisor").get(f"/enrollments/{payload['id']}").text
    assert "\u202e" not in page and "\u2066" not in page
    assert "Jl. Somba Opu[U+202E] 21 .oN\nRT 2 &lt;b&gt;x&lt;/b&gt;" in page
    assert "catatan[U+2066]rahasia" in page


def test_a_person_is_found_in_any_status_from_the_lists_page(api, records):
    """The lists by status search one status; "Semua status" searches them all and
    shows each record's status, and a search that finds nothing in one status
    offers to look in all of them."""
    waiting = submit(api, records, full_name="Sitti Aminah Daeng Caya")
    decided = submit(api, records, full_name="Sitti Rahmah")
    assert review(api("supervisor"), decided["id"], "approve").status_code == 200
    supervisor = api("supervisor")
    everywhere = supervisor.get("/enrollments", params={"status": "all", "q": "sitti"}).text
    assert "Sitti Aminah Daeng Caya" in everywhere and "Sitti Rahmah" in everywhere
    assert "<th>Status</th>" in everywhere
    assert ">Menunggu pemeriksaan</span>" in everywhere and ">Disetujui</span>" in everywhere
    assert 'aria-current="page" class="current">Semua status (2)' in everywhere
    approved = supervisor.get("/enrollments", params={"status": "approved", "q": "aminah"}).text
    assert "Sitti Aminah" not in approved and "<th>Status</th>" not in approved
    assert "Cari di semua status" in approved and "status=all" in approved
    assert waiting["id"] in supervisor.get("/enrollments", params={"status": "all", "q": waiting["nik"]}).text


def test_review_page_tells_the_story_in_words_after_central_sent_the_record_back(
        api, records, data_dir):
    """Approved here, sent back by a verifier at central: the decision card names the
    supervisor's approval (not the status central set), the history speaks in the
    page's words and times, and central's status is in words."""
    from sync import outcomes

    payload = submit(api, records)
    assert review(api("supervisor"), payload["id"], "approve").status_code == 200
    conn = connect(data_dir / "kelurahan.db")
    try:
        assert outcomes.apply_update(conn, {"seq": 1, "record_id": payload["id"],
                                            "kind": "needs_fix", "reason": "Nama beda dengan KTP"})
    finally:
        conn.close()
    page = api("supervisor").get(f"/enrollments/{payload['id']}").text
    decision = page.split("<h2>Keputusan</h2>", 1)[1].split("</section>", 1)[0]
    assert "Disetujui oleh pengawas supervisor" in decision and "Perlu perbaikan oleh" not in decision
    assert "Dikirim balik pusat untuk diperbaiki" in page and "sent_back" not in page
    history = page.split("<h2>Riwayat</h2>", 1)[1].split("</section>", 1)[0]
    assert "Status: Menunggu pemeriksaan → Disetujui" in history
    assert "reviewed_at" not in history and "decision" not in history and "+00:00" not in history
    assert "<td>pusat (lewat sinkronisasi)</td>" in history and "Nama beda dengan KTP" in history


def test_the_queue_search_also_narrows_the_records_central_sent_back(api, records, data_dir):
    from sync import outcomes

    back = submit(api, records, full_name="Ajimin Dongoran")
    assert review(api("supervisor"), back["id"], "approve").status_code == 200
    conn = connect(data_dir / "kelurahan.db")
    try:
        assert outcomes.apply_update(conn, {"seq": 1, "record_id": back["id"], "kind": "needs_fix",
                                            "reason": "Nama beda dengan DTSEN"})
    finally:
        conn.close()
    submit(api, records, full_name="Sitti Rahmah")
    supervisor = api("supervisor")
    assert "Ajimin Dongoran" in supervisor.get("/").text
    other = supervisor.get("/", params={"q": "rahmah"}).text
    assert "Sitti Rahmah" in other and "Ajimin" not in other and "Dikirim balik oleh pusat" not in other
    assert "Ajimin Dongoran" in supervisor.get("/", params={"q": "ajimin"}).text
