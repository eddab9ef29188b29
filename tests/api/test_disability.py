"""The optional ``disability`` enrollment field (design.md, round 2): API, storage,
review page, and central's rule results shown in Indonesian."""

from __future__ import annotations

import json

import pytest

from berjasa.database import connect
from sync import outcomes

WALKING = {"has_disability": True, "kinds": ["walking", "seeing", "walking"]}


def test_disability_is_stored_and_returned(api, records):
    client = api("enumerator")
    payload = records.enrollment(disability=WALKING)
    assert client.post("/api/v1/enrollments", json=payload).status_code == 201
    body = client.get(f"/api/v1/enrollments/{payload['id']}").json()
    assert body["disability"] == {"has_disability": True, "kinds": ["seeing", "walking"]}
    plain = records.enrollment(disability=None)
    assert client.post("/api/v1/enrollments", json=plain).status_code == 201
    assert client.get(f"/api/v1/enrollments/{plain['id']}").json().get("disability") is None


@pytest.mark.parametrize("value", [
    "ya", {"kinds": ["walking"]}, {"has_disability": "true"}, {"has_disability": True, "kinds": ["flying"]},
    {"has_disability": True, "kinds": "walking"}, {"has_disability": False, "kinds": ["walking"]},
    {"has_disability": True, "other": 1},
])
def test_bad_disability_is_422_naming_the_field(api, records, value):
    answer = api("enumerator").post("/api/v1/enrollments", json=records.enrollment(disability=value))
    assert answer.status_code == 422
    assert any(key.startswith("disability") for key in answer.json()["errors"])


def test_review_page_shows_disability_and_central_rules_in_indonesian(api, records, data_dir):
    payload = records.enrollment(disability={"has_disability": True, "kinds": ["hearing"]})
    assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
    conn = connect(data_dir / "kelurahan.db")
    try:
        entry = {"seq": 1, "record_id": payload["id"], "kind": "eligibility", "central_status": "accepted",
                 "eligibility": [{"rule": "dtsen", "result": "fail",
                                  "reason": "DTSEN desil 8, di atas batas desil 5."}]}
        assert outcomes.apply_update(conn, entry)
        stored = conn.execute("SELECT central_eligibility FROM enrollments WHERE id = ?",
                              (payload["id"],)).fetchone()[0]
        assert json.loads(stored)[0]["rule"] == "dtsen"
    finally:
        conn.close()
    page = api("supervisor").get(f"/enrollments/{payload['id']}").text
    assert "Ya: mendengar" in page
    assert "DTSEN desil 8, di atas batas desil 5." in page and "Hasil aturan di pusat" in page


def test_phone_form_fields_carry_the_api_names(api):
    page = api().get("/app/").text
    assert 'name="disability"' in page and 'name="disability_kinds"' in page


@pytest.mark.parametrize(("method", "shown"), [("signature", "tanda tangan"),
                                               ("thumbprint", "cap jempol"), ("verbal", "lisan")])
def test_review_page_names_the_consent_method_as_the_phone_form_does(api, records, method, shown):
    payload = records.enrollment()
    payload["consent"] = {**payload["consent"], "method": method}
    assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
    page = api("supervisor").get(f"/enrollments/{payload['id']}").text
    assert f"Diberikan ({shown}, " in page and f"({method}," not in page


def test_the_list_of_records_central_rejected_says_why_in_indonesian(api, records, data_dir):
    from berjasa.database import transaction

    payloads = [records.enrollment(), records.enrollment()]
    for payload in payloads:
        assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
        assert api("supervisor").post(f"/api/v1/enrollments/{payload['id']}/review",
                                      json={"decision": "approve"}).status_code == 200
    conn = connect(data_dir / "kelurahan.db")
    try:
        with transaction(conn):
            assert outcomes.apply_batch_results(conn, [
                {"id": payloads[0]["id"], "result": "rejected", "reasons": ["dtsen_desil_above_cutoff"]},
                {"id": payloads[1]["id"], "result": "duplicate",
                 "duplicate_of": {"kelurahan_code": "73.71.02.1001", "record_id": "r-<b>9</b>"}}]) == 2
    finally:
        conn.close()
    page = api("supervisor").get("/enrollments?status=central_rejected").text
    assert "DTSEN: desil di atas batas program" in page
    assert "NIK sudah aktif di kelurahan 73.71.02.1001, data r-&lt;b&gt;9&lt;/b&gt;" in page
