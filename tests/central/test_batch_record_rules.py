"""api: POST /api/v1/batches › a record the kelurahan's intake would refuse is rejected
(both backends). Central judges every record by the same rules as the kelurahan's
intake (berjasa/enrollment_schema.py), so an old, buggy or tampered laptop cannot put
a person who gave no consent, or a damaged NIK, on the BPJS registration file."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa import record_reasons
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker, born_on
from central import eligibility
from central.export_fields import REASON_TEXT
from central.exports import export
from server.intake import load_enrollment, to_storable
from server.pages.labels import CENTRAL_REASON_LABELS
from sync import protocol
from sync.protocol_auth import generate_private_key

from .conftest import KELURAHAN_A, records
from .test_exports import PASS_ALL

FAR_FUTURE = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).isoformat()
HOSTILE_NAME = "<img src=x onerror=alert(1)>"

# (what is wrong, the change to a valid record, the reasons central answers)
BAD_FIELDS = [
    ("consent not given", {"consent": {"given": False, "method": "verbal",
                                       "at": "2025-10-06T09:00:00+08:00"}}, ["consent_not_given"]),
    ("consent without method", {"consent": {"given": True, "at": "2025-10-06T09:00:00+08:00"}},
     ["invalid_consent"]),
    ("consent missing", {"consent": None}, ["invalid_consent"]),
    ("consent in 2031", {"consent": {"given": True, "method": "verbal",
                                     "at": "2031-01-01T09:00:00+08:00"}}, ["invalid_consent"]),
    ("consent in 1970 (a reset phone clock)", {"consent": {
        "given": True, "method": "verbal", "at": "1970-01-01T08:00:00+08:00"}}, ["invalid_consent"]),
    ("NIK in scientific notation", {"nik": "7.37101E+15"}, ["nik_damaged_by_spreadsheet"]),
    ("NIK cut to 15 digits", {"nik": "737101120380001"}, ["nik_damaged_by_spreadsheet"]),
    ("NIK with a trailing .0", {"nik": "7371011203800001.0"}, ["nik_damaged_by_spreadsheet"]),
    ("NIK with no province", {"nik": "9971011203800001"}, None),  # invalid_nik (+ date digits)
    ("KK in scientific notation", {"kk_number": "7.37101E+15"}, ["kk_damaged_by_spreadsheet"]),
    ("KK with serial 0000", {"kk_number": "7371011203150000"}, ["invalid_kk"]),
    ("KK missing", {"kk_number": None}, ["invalid_kk"]),
    ("name with markup", {"full_name": HOSTILE_NAME}, ["invalid_full_name"]),
    ("name empty", {"full_name": "  "}, ["missing_name"]),
    ("mother's name with digits", {"mother_name": "Ibu 2"}, ["invalid_mother_name"]),
    ("heir's name an emoji", {"heir_name": "Andi 😀"}, ["invalid_heir_name"]),
    ("sex X", {"sex": "X"}, ["invalid_sex"]),
    ("birth date not a date", {"birth_date": "31-02-1990"}, ["invalid_birth_date"]),
    ("occupation not on the KTP list", {"occupation": "Astronot"}, ["invalid_occupation"]),
    ("work category not on central's list", {"work_category": "Astronot"}, ["invalid_work_category"]),
    ("RT not digits", {"rt": "abc"}, ["invalid_rt"]),
    ("RW zero", {"rw": "000"}, ["invalid_rw"]),
    ("phone not a phone", {"phone": "12345"}, ["invalid_phone"]),
    ("heir's phone letters", {"heir_phone": "08abc"}, ["invalid_heir_phone"]),
    ("heir relation not on the list", {"heir_relation": "Tetangga"}, ["invalid_heir_relation"]),
    ("income negative", {"monthly_income": -5}, ["invalid_income"]),
    ("income above income_max", {"monthly_income": 10**12}, ["invalid_income"]),
    ("address empty", {"address": ""}, ["invalid_address"]),
    ("address with an escape character", {"address": "Jl. Nuri\x1b[2J"}, ["invalid_address"]),
    ("birth place missing", {"birth_place": None}, ["invalid_birth_place"]),
    # an old laptop took a tab in a one-line field; today's kelurahan refuses it
    ("birth place with a tab", {"birth_place": "Makassar\tGowa"}, ["invalid_birth_place"]),
    ("captured a month ahead", {"captured_at": FAR_FUTURE}, ["invalid_captured_at"]),
    ("captured without a time zone", {"captured_at": "2025-10-06T09:00:00"}, ["invalid_captured_at"]),
    ("location off the globe", {"location": {"lat": 500.0, "lon": 0.0, "accuracy_m": 5.0}},
     ["invalid_location"]),
    ("notes with a control character", {"notes": "catatan\x07"}, ["invalid_notes"]),
    ("id not a UUID", {"id": "bukan-uuid"}, ["invalid_id"]),
    ("disability kinds without disability",
     {"disability": {"has_disability": False, "kinds": ["seeing"]}}, ["invalid_disability"]),
    ("duplicate hint not a hint", {"possible_duplicate": "ya"}, ["invalid_possible_duplicate"]),
]


@pytest.mark.parametrize(("change", "reasons"), [(c, r) for _, c, r in BAD_FIELDS],
                         ids=[name for name, _, _ in BAD_FIELDS])
def test_record_breaking_an_intake_rule_is_rejected_with_its_reason(central, change, reasons):
    device = central.register()
    good, bad = records(2)
    bad = {**bad, **change}
    results = device.send([good, bad])
    assert results[0]["result"] == "accepted"
    assert results[1]["result"] == "rejected"
    if reasons is None:
        assert "invalid_nik" in results[1]["reasons"]
    else:
        assert results[1]["reasons"] == reasons
    rows = central.query("SELECT record_id, status FROM records ORDER BY central_id")
    assert [(r["record_id"], r["status"]) for r in rows] == [(good["id"], "accepted"),
                                                               (bad["id"], "rejected")]
    update = [u for u in device.updates().json()["updates"] if u["record_id"] == bad["id"]]
    assert [(u["kind"], u["reasons"]) for u in update] == [("rejected", results[1]["reasons"])]


def test_nik_that_disagrees_with_sex_or_birth_date_is_rejected(central):
    device = central.register()
    good, other_sex, other_day = records(3)
    other_sex = {**other_sex, "sex": "P" if other_sex["sex"] == "L" else "L"}
    born = dt.date.fromisoformat(other_day["birth_date"]) + dt.timedelta(days=400)
    other_day = {**other_day, "birth_date": born.isoformat()}  # the NIK says another day
    results = device.send([good, other_sex, other_day])
    assert [r["result"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[1]["reasons"] == ["nik_sex_mismatch"]
    assert results[2]["reasons"] == ["nik_birth_date_mismatch"]
    # the same person with the NIK's own date is fine
    fixed = born_on({**other_day, "id": records(1, seed=7)[0]["id"]}, born.isoformat())
    assert device.send([fixed])[0]["result"] == "accepted"


def test_testers_records_never_reach_the_registration_file(central):
    """The report: a registered laptop's key sent these, central answered `accepted`
    and put them on the BPJS file. Each is now rejected, listed with its reason in
    Indonesian among the rejections, and never on the registration file, even when
    every eligibility rule passes."""
    device = central.register()
    sent = records(7)
    sent[1]["consent"] = {**sent[1]["consent"], "given": False}
    sent[2]["kk_number"] = "7.37101E+15"
    sent[3]["sex"] = "X"
    sent[4]["occupation"] = "Astronot"
    sent[5]["rt"] = "abc"
    sent[6]["full_name"] = HOSTILE_NAME
    results = device.send(sent)
    assert [r["result"] for r in results] == ["accepted"] + ["rejected"] * 6
    assert [r["reasons"] for r in results[1:]] == [
        ["consent_not_given"], ["kk_damaged_by_spreadsheet"], ["invalid_sex"],
        ["invalid_occupation"], ["invalid_rt"], ["invalid_full_name"]]
    db = central.db()
    try:
        with db.transaction():  # as if DTSEN and BPJS lists were loaded and every rule passed
            db.run("UPDATE records SET eligibility = ?", (protocol.canonical_json(PASS_ALL).decode(),))
        registration = export(db, "bpjs-registration", "csv", None, actor="operator-uji")
        rejections = export(db, "rejections", "csv", None, actor="operator-uji")
    finally:
        db.close()
    assert registration.rows == 1
    text = registration.content.decode("utf-8-sig")
    assert sent[0]["nik"] in text
    assert all(r["nik"] not in text for r in sent[1:])
    assert rejections.rows == 6
    listed = rejections.content.decode("utf-8-sig")
    assert "Pekerja tidak memberikan persetujuan" in listed
    assert "Pekerjaan tidak ada dalam daftar pekerjaan KTP" in listed


def test_version_one_laptop_records_without_optional_fields_are_accepted(central):
    """A laptop one protocol version behind sends no optional columns, and leaves the
    optional fields it does send empty: valid records are accepted as before."""
    device = central.register()
    bare = [{k: v for k, v in r.items() if k not in protocol.OPTIONAL_FIELDS} for r in records(3)]
    for record in bare:
        record.update(phone=None, work_category=None, heir_phone=None, location=None, notes=None)
    bare[1].update(phone="", work_category="", heir_phone="")  # an old agent's empty text
    batch = dataclasses.replace(device.batch(bare), protocol=protocol.OLDEST_PROTOCOL_VERSION)
    body, headers = protocol.encode_batch(batch, device.key)
    answer = device.post(batch, body=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [r["result"] for r in protocol.decode_results(answer.content, batch)] == ["accepted"] * 3


def test_record_held_before_the_rules_is_not_judged_again_when_resent(central, monkeypatch):
    """A record central accepted under the old checks keeps its decision: the same
    version sent again is answered as before (sync-protocol.md, idempotency rule 4)."""
    device = central.register()
    held = {**records(1)[0], "occupation": "Astronot"}
    with monkeypatch.context() as old_central:
        old_central.setattr(eligibility, "judge_record",
                            lambda record, *args, **kwargs: ([], dict(record)))
        first = device.send([held])
    assert first[0]["result"] == "accepted"
    assert device.send([held]) == first
    assert central.query("SELECT status FROM records") == [{"status": "accepted"}]


def test_a_fix_of_a_record_held_before_the_consent_bounds_is_not_refused_for_them(
        central, monkeypatch):
    """Central judged no consent time before: a record it holds with consent in 1970
    (accepted then) comes back as a fix (a newer version) keeping that consent, and
    is not rejected for it; a fix that changes the consent time is judged, and a new
    record with that time is refused."""
    device = central.register()
    old_clock = {"given": True, "method": "thumbprint", "at": "1970-01-01T08:00:00+08:00"}
    held, new = records(2)
    held = {**held, "consent": old_clock}
    with monkeypatch.context() as old_central:
        old_central.setattr(eligibility, "judge_record",
                            lambda record, *args, **kwargs: ([], dict(record)))
        assert device.send([held])[0]["result"] == "accepted"
    fixed = {**held, "version": held["version"] + 1, "address": "Jl. Perbaikan No. 2"}
    assert device.send([fixed])[0]["result"] == "accepted"
    assert central.query("SELECT address, status FROM records WHERE record_id = ?",
                         (held["id"],)) == [{"address": "Jl. Perbaikan No. 2", "status": "accepted"}]
    moved = {**fixed, "version": fixed["version"] + 1,
             "consent": {**old_clock, "at": "1971-01-01T08:00:00+08:00"}}
    answer = device.send([moved])[0]
    assert answer["result"] == "rejected" and answer["reasons"] == ["invalid_consent"]
    answer = device.send([{**new, "consent": old_clock}])[0]
    assert answer["result"] == "rejected" and answer["reasons"] == ["invalid_consent"]


def test_a_fix_keeping_a_consent_time_central_refused_is_refused_again(central):
    """QA: a record the previous kelurahan release stored with consent in 2031 reaches
    central, which refuses it (``invalid_consent``, "Catatan persetujuan tidak sah":
    the kelurahan sends it back to be fixed); the fix changes another field and keeps
    2031. Central never accepted that time, so it is judged again: refused again, never
    accepted. A new consent time within the bounds is the fix."""
    device = central.register()
    [held] = records(1)
    held = {**held, "consent": {**held["consent"], "at": "2031-01-01T00:00:00+08:00"}}
    answer = device.send([held])[0]
    assert answer["result"] == "rejected" and answer["reasons"] == ["invalid_consent"]
    fixed = {**held, "version": held["version"] + 1, "phone": "081399990000"}
    answer = device.send([fixed])[0]
    assert answer["result"] == "rejected" and answer["reasons"] == ["invalid_consent"]
    assert central.query("SELECT status, version FROM records WHERE record_id = ?",
                         (held["id"],)) == [{"status": "rejected", "version": fixed["version"]}]
    again = {**fixed, "version": fixed["version"] + 1,
             "consent": {**held["consent"], "at": "2025-10-06T09:00:00+08:00"}}
    assert device.send([again])[0]["result"] == "accepted"


def test_a_fix_keeping_a_consent_time_a_verifier_sent_back_is_judged(central, monkeypatch):
    """A record central accepted before the bounds (consent in 1970) keeps that time
    through a fix of a send-back for the KK; sent back for its consent (the
    verifier's reason names it, ``central send-back``), the fix is judged on it."""
    from .test_cli import berjasa

    device = central.register()
    old_clock = {"given": True, "method": "thumbprint", "at": "1970-01-01T08:00:00+08:00"}
    kk_case, consent_case = ({**r, "consent": old_clock} for r in records(2, seed=7))
    with monkeypatch.context() as old_central:
        old_central.setattr(eligibility, "judge_record",
                            lambda record, *args, **kwargs: ([], dict(record)))
        assert [a["result"] for a in device.send([kk_case, consent_case])] == ["accepted"] * 2
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    for person, reason in ((kk_case, "KK salah"), (consent_case, "Tanggal persetujuan salah")):
        berjasa("central", "send-back", person["nik"], "--reason", reason, data_dir=data)
    answers = device.send([{**person, "version": person["version"] + 1, "notes": "dicek"}
                           for person in (kk_case, consent_case)])
    assert answers[0]["result"] == "accepted"
    assert answers[1]["result"] == "rejected" and answers[1]["reasons"] == ["invalid_consent"]


@pytest.mark.parametrize("central_settings", [{"work_categories": ["Nelayan", "Lainnya"]}])
def test_work_categories_are_central_own_list(central, central_settings):
    device = central.register()
    fisher, trader = records(2)
    fisher["work_category"], trader["work_category"] = "nelayan", "Pedagang kecil / pedagang pasar"
    results = device.send([fisher, trader])
    assert [r["result"] for r in results] == ["accepted", "rejected"]
    assert results[1]["reasons"] == ["invalid_work_category"]


def test_every_reason_central_can_give_has_indonesian_text():
    """Shown on central's pages and exports, and on the kelurahan's pages and phones."""
    assert sorted(eligibility.RECORD_REASONS - set(REASON_TEXT)) == []
    assert sorted(eligibility.RECORD_REASONS - set(CENTRAL_REASON_LABELS)) == []
    for name, change, reasons in BAD_FIELDS:
        assert set(reasons or ["invalid_nik"]) <= eligibility.RECORD_REASONS, name


def test_every_intake_reason_is_one_the_kelurahan_fixes():
    """The kelurahan sends a record back to be fixed for exactly these codes
    (berjasa.record_reasons); central's rules on its own data are not among them."""
    assert eligibility.RECORD_REASONS == record_reasons.INTAKE_REASONS
    assert record_reasons.fixable_at_kelurahan(["invalid_work_category", "kelurahan_mismatch"])
    for reasons in ([], None, ["erased"], ["invalid_rt", *sorted(eligibility.REJECTION_CODES)[:1]],
                    ["verifikasi: alamat palsu"]):
        assert not record_reasons.fixable_at_kelurahan(reasons), reasons


def test_record_problems_without_settings_uses_the_declared_defaults():
    record = protocol.record_from_row(records(1)[0])
    assert eligibility.record_problems(record, KELURAHAN_A) == []
    assert eligibility.record_problems({**record, "work_category": "Nelayan"}, KELURAHAN_A, {}) == []
    assert eligibility.record_problems(["not", "a", "record"], KELURAHAN_A) == ["invalid_record"]
    assert eligibility.record_problems(record, "73.71.02.1001") == ["kelurahan_mismatch"]


SETTINGS = load_settings(None)
KEY = generate_private_key()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), drop=st.sets(st.sampled_from(
    ["phone", "work_category", "heir_phone", "location", "notes", "disability", "possible_duplicate"])),
    name=st.sampled_from(["Andi Baso", "  andi   baso  ", "Ṣiti Nur'aini", "ᨕᨉᨗ", "O’Neil-Jaya, S.Pd."]),
    phone=st.sampled_from(["0812-3456-789", "+62 812 3456 789", "628123456789", "0411-123456"]),
    rt=st.sampled_from(["1", "02", "012", "999"]))
def test_valid_intake_records_are_always_accepted_by_central(seed, drop, name, phone, rt):
    """Whatever the kelurahan's intake accepts, stored and sent as the agent sends it
    (the protocol's record form and columns), passes central's check, and central
    holds it exactly as the kelurahan stored it (a replay means the same record)."""
    payload = EnrollmentFaker(KELURAHAN_A, seed=seed).enrollment(full_name=name, phone=phone, rt=rt)
    for field in drop:
        payload.pop(field, None)
    stored = to_storable(load_enrollment(copy.deepcopy(payload), SETTINGS))
    stored.update(version=1, enumerator="petugas", reviewed_by="lurah",
                  reviewed_at="2025-10-06T10:00:00+08:00")
    body, headers = protocol.encode_batch(protocol.new_batch("dev-uji", KELURAHAN_A, [stored]), KEY)
    sent = protocol.decode_batch(body, headers, lambda device: KEY.public_key()).records[0]
    assert eligibility.record_problems(sent, KELURAHAN_A, SETTINGS) == []
    problems, held = eligibility.judge_record(sent, KELURAHAN_A, SETTINGS)
    assert problems == [] and {k: held.get(k) for k in stored} == stored
