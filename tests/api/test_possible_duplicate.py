"""A record saved despite the phone's duplicate hint carries ``possible_duplicate``
(which key matched); the supervisor's queue and review page show it."""

from __future__ import annotations

from tests.helpers import PASSWORD


def _pages(live_server):
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{live_server}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = session.post(f"{live_server}/login", data={"username": "supervisor", "password": PASSWORD,
                                                       "csrf_token": token})
    assert done.status_code == 200
    return session


def test_flag_is_stored_returned_and_shown(api, records, live_server):
    enumerator = api("enumerator")
    flagged = {**records.enrollment(), "possible_duplicate": ["nik"]}
    both = {**records.enrollment(), "possible_duplicate": "name_birth,nik"}
    plain = records.enrollment()
    for item in (flagged, both, plain):
        assert enumerator.post("/api/v1/enrollments", json=item).status_code == 201, item
    assert enumerator.get(f"/api/v1/enrollments/{flagged['id']}").json()["possible_duplicate"] == "nik"
    assert enumerator.get(f"/api/v1/enrollments/{both['id']}").json()["possible_duplicate"] == "nik,name_birth"
    assert enumerator.get(f"/api/v1/enrollments/{plain['id']}").json()["possible_duplicate"] is None
    queue = _pages(live_server).get(f"{live_server}/").text
    assert queue.count('data-possible-duplicate="nik"') == 1
    assert queue.count('data-possible-duplicate="nik,name_birth"') == 1
    review = _pages(live_server).get(f"{live_server}/enrollments/{flagged['id']}").text
    assert "HP memberi petunjuk" in review


def test_bad_flag_is_one_clear_field_error(api, records):
    for bad in ("maybe", ["nik", 3], 7, ["<b>nik</b>"]):
        answer = api("enumerator").post("/api/v1/enrollments",
                                        json={**records.enrollment(), "possible_duplicate": bad})
        assert answer.status_code == 422
        assert list(answer.json()["errors"]) == ["possible_duplicate"]
