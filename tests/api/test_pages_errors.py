"""pages: errors a person meets in the browser are the site's Indonesian error page,
never raw JSON or a list they did not ask for: an unknown status in the lists
(it silently showed the approved list), an unknown URL, a method a page does not
take. Programs keep the JSON problem, and the API keeps it whatever they accept."""

from __future__ import annotations

import requests

from tests.helpers import PASSWORD

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _signed_in(base: str, username: str = "supervisor") -> requests.Session:
    session = requests.Session()
    session.headers.update(BROWSER)
    form = session.get(f"{base}/login").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = session.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token})
    assert answer.status_code == 200 and "Keluar" in answer.text
    return session


def _error_page(answer: requests.Response, status: int) -> str:
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert f"Kode: {status}" in answer.text and '"code"' not in answer.text
    return answer.text


def test_an_unknown_status_is_a_clear_400_page(live_server, api, records):
    payload = records.enrollment(full_name="Sitti Rahmah")
    assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
    assert api("supervisor").post(f"/api/v1/enrollments/{payload['id']}/review",
                                  json={"decision": "approve"}).status_code == 200
    supervisor = _signed_in(live_server)
    for status in ("bogus", "APPROVED", "<b>x</b>"):
        page = _error_page(supervisor.get(f"{live_server}/enrollments",
                                          params={"status": status}), 400)
        assert "tidak dikenal" in page and "Pilih salah satu: Semua status" in page
        assert "Sitti Rahmah" not in page and "Pendaftaran menurut status" not in page
        assert "<b>x</b>" not in page
        assert 'href="/enrollments?status=all"' in page
    # what the lists offer still works, and no status is the approved list (the menu's link)
    for params in ({"status": "approved"}, {}, {"status": ""}):
        listed = supervisor.get(f"{live_server}/enrollments", params=params)
        assert listed.status_code == 200 and "Sitti Rahmah" in listed.text
    assert supervisor.get(f"{live_server}/enrollments", params={"status": "all"}).status_code == 200


def test_a_browser_gets_the_error_page_and_programs_get_json(live_server):
    supervisor = _signed_in(live_server)
    page = _error_page(supervisor.get(f"{live_server}/tidak-ada"), 404)
    assert "Tidak ditemukan" in page and "Alamat tidak ditemukan." in page
    assert "Kelurahan " in page.split("<title>", 1)[1].split("</title>", 1)[0]
    # signed out too, with the way to the login page
    stranger = requests.Session()
    stranger.headers.update(BROWSER)
    page = _error_page(stranger.get(f"{live_server}/enrollments/x/y/z"), 404)
    assert 'href="/login"' in page
    # a method a page does not take
    answer = stranger.delete(f"{live_server}/login")
    page = _error_page(answer, 405)
    assert "Metode tidak didukung" in page and "DELETE" not in answer.headers["Allow"]
    # programs and the API: the JSON problem, as before
    for url, headers in ((f"{live_server}/tidak-ada", {"Accept": "*/*"}),
                         (f"{live_server}/tidak-ada", {"Accept": "application/json"}),
                         (f"{live_server}/api/v1/tidak-ada", BROWSER),
                         (f"{live_server}/tidak-ada", {})):
        answer = requests.get(url, headers=headers)
        assert answer.status_code == 404 and answer.headers["Content-Type"].startswith(
            "application/json"), url
        assert answer.json()["code"] == "not_found"
    answer = requests.delete(f"{live_server}/health", headers=BROWSER)
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
