"""Downloads another site starts are refused and record nothing (both backends, through
the real server): the operator's registration file marks its records as put on a file,
so the dashboard posts it with the CSRF token, and a GET of it is taken only from
central's own pages (or a script); every download, and the trail's CSV, refuses a
request another site started (h1 #13)."""

from __future__ import annotations

import json

import pytest

from .conftest import records
from .office import signed_in, token
from .test_verification import PASS_ALL

EVIL = "https://evil.example/surat.html"


def _state(central) -> tuple[int, int, int]:
    """(records marked as put on a file, trail entries, export audit rows)."""
    return (len(central.query("SELECT central_id FROM records"
                              " WHERE registration_exported_at IS NOT NULL")),
            len(central.query("SELECT seq FROM audit_log")),
            len(central.query("SELECT id FROM export_audit")))


def _downloads(central) -> int:
    return len(central.query("SELECT seq FROM audit_log WHERE action LIKE ?", ("download.%",)))


@pytest.fixture
def operator(central):
    central.register().send(records(3))
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    return signed_in(central, "operator")


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Referer": EVIL},
    {"Sec-Fetch-Site": "same-site"},  # another port of this host: a kelurahan server's page
    {"Sec-Fetch-Site": "none"},  # a link opened from an e-mail program, a typed address
    {"Referer": EVIL},  # a browser without Sec-Fetch-*
    {"Origin": "null"},
])
def test_a_marking_download_another_site_starts_is_refused_and_records_nothing(
        central, operator, headers):
    before = _state(central)
    answer = operator.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=30,
                          headers={"Accept": "text/html", **headers})
    assert answer.status_code == 403 and "hanya dapat dimulai dari halaman kantor pusat" in answer.text
    assert b"NIK" not in answer.content
    api = operator.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=30,
                       headers={"Accept": "application/json", **headers})
    assert (api.status_code, api.json()["code"]) == (403, "cross_site_request")
    assert _state(central) == before


def test_the_dashboard_posts_the_registration_file_with_its_csrf_token(central, operator):
    page = operator.get(f"{central.url}/", timeout=30).text
    assert '<form method="post" action="/unduh/bpjs-registration"' in page
    before = _state(central)
    forged = operator.post(f"{central.url}/unduh/bpjs-registration", timeout=30,
                           data={"format": "csv", "csrf_token": "palsu"})
    assert forged.status_code == 400 and _state(central) == before
    answer = operator.post(f"{central.url}/unduh/bpjs-registration", timeout=60,
                           headers={"Sec-Fetch-Site": "same-origin", "Origin": central.url},
                           data={"format": "csv", "csrf_token": token(operator, central)})
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    assert answer.headers["X-Berjasa-Rows"] == "3"
    marked, entries, audits = _state(central)
    assert (marked, entries, audits) == (3, before[1] + 1, before[2] + 1)
    entry = central.query("SELECT seq, action, changes FROM audit_log ORDER BY seq DESC")[0]
    assert entry["action"] == "download.bpjs-registration"
    # the records it put on a file are the entry's targets (docs/central.md "Record targets")
    assert json.loads(entry["changes"])["targets"] == 3
    assert {r["outcome"] for r in central.query("SELECT outcome FROM audit_targets WHERE seq = ?",
                                                 (entry["seq"],))} == {"on_registration_file"}
    # a field the download does not take is refused as in the query string
    odd = operator.post(f"{central.url}/unduh/bpjs-registration", timeout=30,
                        headers={"Accept": "application/json"},
                        data={"format": "csv", "nik": "1", "csrf_token": token(operator, central)})
    assert (odd.status_code, odd.json()["code"]) == (400, "invalid_filter")
    head = operator.head(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=30)
    assert head.status_code == 405 and _state(central)[0] == 3  # HEAD builds nothing


def test_own_pages_and_scripts_still_get_their_files(central, operator):
    # a link on central's own page (and a script without browser headers) still marks
    same = operator.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=60,
                        headers={"Sec-Fetch-Site": "same-origin", "Referer": f"{central.url}/"})
    assert same.status_code == 200 and _state(central)[0] == 3
    assert operator.get(f"{central.url}/unduh/bpjs-registration?format=csv",
                        timeout=60).status_code == 200
    # a download that marks nothing may be a bookmark, but never another site's link
    assert operator.get(f"{central.url}/unduh/rejections?format=csv", timeout=30,
                        headers={"Sec-Fetch-Site": "none"}).status_code == 200
    auditor = signed_in(central, "auditor")
    before = _downloads(central)
    assert operator.get(f"{central.url}/unduh/rejections?format=csv", timeout=30,
                        headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert auditor.get(f"{central.url}/audit/export.csv", timeout=30,
                       headers={"Referer": EVIL}).status_code == 403
    # the auditor's copy of the registration file marks nothing: a bookmark is fine
    assert auditor.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=30,
                       headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert _downloads(central) == before + 1  # the auditor's download only
