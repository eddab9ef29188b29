"""Downloads on the dashboard and the auditor's trail page (both backends)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from .conftest import records
from .office import signed_in


def test_operator_downloads_the_payment_list_and_the_auditor_sees_it_in_the_trail(central):
    central.register().send(records(4))
    operator = signed_in(central, "operator")
    page = operator.get(f"{central.url}/", timeout=30).text
    for what in ("payment-list", "rejections", "progress", "all"):
        assert f"/unduh/{what}?format=xlsx" in page
    # the registration file marks its records: a form posted with the CSRF token
    assert '<form method="post" action="/unduh/bpjs-registration"' in page
    answer = operator.get(f"{central.url}/unduh/payment-list?format=xlsx&month=2025-10&draft=1",
                          timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="payment-list-2025-10-draft.xlsx"' in answer.headers["Content-Disposition"]
    digest = hashlib.sha256(answer.content).hexdigest()
    assert answer.headers["X-Berjasa-SHA256"] == digest
    sheet = load_workbook(io.BytesIO(answer.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any("NIK" in str(c) for c in cells)  # the header row is there
    registration = operator.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=60)
    assert registration.status_code == 200 and registration.content.startswith(b"\xef\xbb\xbf")

    auditor = signed_in(central, "auditor")
    trail = auditor.get(f"{central.url}/audit?action=download.payment-list", timeout=30)
    assert trail.status_code == 200 and "operator-uji" in trail.text and digest in trail.text
    assert "Rantai hash utuh" in trail.text
    # the action by its name, with the code beside it
    assert "Unduhan: Daftar pembayaran iuran (BPKAD) <code>download.payment-list</code>" in trail.text
    assert ">Masuk (login)</option>" in trail.text
    exported = auditor.get(f"{central.url}/audit/export.csv?actor=operator-uji", timeout=30)
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    actions = [r["action"] for r in rows]
    assert "download.payment-list" in actions and "download.bpjs-registration" in actions
    entry = next(r for r in rows if r["action"] == "download.payment-list")
    # beside the chained UTC time, the same moment in Makassar time (h2 item 13)
    assert list(rows[0])[:3] == ["seq", "at", "at_wita"]
    at = datetime.fromisoformat(entry["at"])
    assert entry["at_wita"] == (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    details = json.loads(entry["changes"])
    assert details["sha256"] == digest and details["filters"]["month"] == "2025-10"
    assert details["filters"]["format"] == "xlsx" and details["rows"] == int(
        answer.headers["X-Berjasa-Rows"])
    # the export of the trail is itself in the trail
    actions = [e["action"] for e in central.query("SELECT action FROM audit_log ORDER BY seq")]
    assert actions[-1] == "download.audit"


def _file_name(answer) -> str:
    """The name a browser saves a download under."""
    assert answer.status_code == 200, answer.text[:300]
    return re.fullmatch(r'attachment; filename="([^"]+)"',
                        answer.headers["Content-Disposition"]).group(1)


def test_every_download_has_a_file_name_of_its_own(central):
    """The draft and the final payment list of a month, and lists of other months, are
    saved under names that tell them apart (never "payment-list (1).xlsx"): the month
    and "draft"/"final"; without a month the name says the month the list is for.
    Exports without a month say when they were made (WITA), so a second registration
    file does not take the first one's name; no name holds a NIK or a name."""
    from berjasa.local_time import today

    central.register().send(records(2))
    operator = signed_in(central, "operator")
    base = f"{central.url}/unduh/payment-list?format=xlsx"
    names = {query: _file_name(operator.get(base + query, timeout=60))
             for query in ("&month=2025-10", "&month=2025-10&draft=1", "&month=2025-11&draft=0",
                           "", "&draft=1")}
    this_month = today().strftime("%Y-%m")
    assert names == {"&month=2025-10": "payment-list-2025-10-final.xlsx",
                     "&month=2025-10&draft=1": "payment-list-2025-10-draft.xlsx",
                     "&month=2025-11&draft=0": "payment-list-2025-11-final.xlsx",
                     "": f"payment-list-{this_month}-final.xlsx",
                     "&draft=1": f"payment-list-{this_month}-draft.xlsx"}
    for what in ("rejections", "progress", "all"):
        name = _file_name(operator.get(f"{central.url}/unduh/{what}?format=csv", timeout=60))
        assert re.fullmatch(rf"{what}-{today().isoformat()}-\d{{4}}\.csv", name), name
    auditor = signed_in(central, "auditor")
    name = _file_name(auditor.get(f"{central.url}/unduh/bpjs-registration?format=xlsx",
                                  timeout=60))
    assert re.fullmatch(rf"bpjs-registration-{today().isoformat()}-\d{{4}}\.xlsx", name), name
    trail = _file_name(auditor.get(f"{central.url}/audit/export.csv?action=login", timeout=30))
    assert re.fullmatch(rf"jejak-audit-pusat-{today().isoformat()}-\d{{4}}\.csv", trail), trail


def test_forged_download_filters_are_400_with_a_clear_message(central):
    operator = signed_in(central, "operator")
    before = len(central.query("SELECT seq FROM audit_log"))
    for query in ("payment-list?format=exe", "payment-list?format=xlsx&month=2025-13",
                  "payment-list?month=%27%3B%20DROP%20TABLE%20records", "progress?month=2025-10",
                  "payment-list?format=csv&nik=7371014101900001", "payment-list?draft=ya",
                  "all?format=csv&format=xlsx&sort=nik"):
        answer = operator.get(f"{central.url}/unduh/{query}", timeout=30,
                              headers={"Accept": "application/json"})
        assert answer.status_code == 400, query
        body = answer.json()
        assert body["code"] == "invalid_filter" and body["message"] and body["errors"], query
    assert operator.get(f"{central.url}/unduh/rahasia?format=csv", timeout=30).status_code == 404
    # a browser gets the same refusal as a page in Bahasa Indonesia
    page = operator.get(f"{central.url}/unduh/payment-list?format=exe", timeout=30,
                        headers={"Accept": "text/html"})
    assert page.status_code == 400 and "harus csv atau xlsx" in page.text
    assert len(central.query("SELECT seq FROM audit_log")) == before


def test_trail_filters_are_checked_and_the_csv_is_formula_safe(central):
    auditor = signed_in(central, "auditor")
    assert auditor.get(f"{central.url}/audit?from=kemarin", timeout=30).status_code == 400
    assert auditor.get(f"{central.url}/audit?from=2025-10-01&to=2099-01-01",
                       timeout=30).status_code == 200
    from .office import login
    login(central, "=HYPERLINK(\"http://x\")", "salah-salah-1")  # unknown: keyed hash only
    login(central, "auditor-uji", "salah-salah-1")  # known user: named
    exported = auditor.get(f"{central.url}/audit/export.csv", timeout=30).content
    text = exported.decode("utf-8-sig")
    assert "HYPERLINK" not in text
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_a_refused_final_payment_list_tells_the_page_user_to_tick_draft(central):
    """The refusal names the unconfirmed band and the page's way out (the "draf"
    box), not the command line's ``--draft``; the draft then downloads."""
    db = central.db()
    try:
        with db.transaction():
            db.insert_rows("cohort", ("nik", "kpj_number", "full_name", "kelurahan_code",
                                      "coverage_start", "monthly_income", "jht"),
                           [("7371010101800002", "2", "Besse", "73.71.01.1001", "2024-01",
                             3_000_000, 0)])
    finally:
        db.close()
    operator = signed_in(central, "operator")
    final = f"{central.url}/unduh/payment-list?format=xlsx&month=2025-10"
    answer = operator.get(final, timeout=60, headers={"Accept": "application/json"})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "export_refused" and "band Rp2.950.000" in body["message"]
    assert "--draft" not in body["message"] and "Centang “draf”" in body["message"]
    page = operator.get(final, timeout=60, headers={"Accept": "text/html"})
    assert page.status_code == 409 and "Centang “draf”" in page.text
    assert "Tidak dapat dilakukan" in page.text
    # the page offers the draft of the same list (the dashboard's quick links have no box)
    offered = re.search(r'<a href="([^"]+)">Unduh sebagai draf</a>', page.text).group(1)
    offered = offered.replace("&amp;", "&")
    assert "draft=1" in offered and "month=2025-10" in offered and "format=xlsx" in offered
    assert operator.get(central.url + offered, timeout=60).status_code == 200
    assert operator.get(final + "&draft=1", timeout=60).status_code == 200


def test_the_auditor_page_shows_each_entry_in_makassar_time_with_its_utc_stamp(central):
    """Times are stored in UTC; the page shows WITA (UTC+8), as the kelurahan pages
    do, and keeps the stored stamp in the cell's <time datetime>."""
    page = signed_in(central, "auditor").get(f"{central.url}/audit", timeout=30).text
    assert "Waktu (WITA)" in page and "(UTC)" not in page
    cells = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert cells
    for stored, shown in cells:
        moment = datetime.fromisoformat(stored).astimezone(timezone.utc) + timedelta(hours=8)
        assert shown == moment.strftime("%d-%m-%Y %H:%M:%S"), (stored, shown)  # heading: WITA


def test_trail_date_filters_are_makassar_days(central):
    """``from``/``to`` pick the days the page shows (WITA, UTC+8): 2026-11-26 runs
    from 2026-11-25 16:00 UTC to 2026-11-26 16:00 UTC, on the page and in the CSV."""
    from central import trail
    from central.storage.db import Database

    stamps = {"2026-11-25T15:59:59.999999+00:00": False, "2026-11-25T16:00:00.000000+00:00": True,
              "2026-11-26T15:59:59.999999+00:00": True, "2026-11-26T16:00:00.000000+00:00": False}
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        with db.transaction():
            first = [trail.record(db, trail.Actor("uji-hari", "admin"), "uji.hari", f"t:{i}")
                     for i in range(len(stamps))]
        db.conn.execute("DROP TRIGGER audit_log_no_update" if central.database_url.startswith("sqlite")
                        else "DROP TRIGGER audit_log_no_update_delete ON audit_log")
        with db.transaction():
            for seq, stamp in zip(first, stamps):
                db.run("UPDATE audit_log SET at = ? WHERE seq = ?", (stamp, seq))
    finally:
        db.close()
    auditor = signed_in(central, "auditor")
    query = "actor=uji-hari&from=2026-11-26&to=2026-11-26"
    exported = auditor.get(f"{central.url}/audit/export.csv?{query}", timeout=30)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert sorted(r["at"] for r in rows) == sorted(s for s, inside in stamps.items() if inside)
    page = auditor.get(f"{central.url}/audit?{query}", timeout=30).text
    assert page.count(">26-11-2026 00:00:00<") == 1 and page.count(">26-11-2026 23:59:59<") == 1
    assert ">25-11-2026 23:59:59<" not in page and ">27-11-2026 00:00:00<" not in page


def _rewrite_first_entry(central) -> None:
    """What a database administrator can do: drop the guard and edit entry 1."""
    trigger = ("DROP TRIGGER audit_log_no_update" if central.database_url.startswith("sqlite")
               else "DROP TRIGGER audit_log_no_update_delete ON audit_log")
    db = central.db()
    try:
        db.conn.execute(trigger)
        db.conn.execute("UPDATE audit_log SET actor = 'orang lain' WHERE seq = 1")
    finally:
        db.close()


def test_the_auditor_page_names_a_hand_edited_entry_in_bahasa_indonesia(central):
    auditor = signed_in(central, "auditor")
    _rewrite_first_entry(central)
    page = auditor.get(f"{central.url}/audit", timeout=30).text
    assert "Rantai hash RUSAK pada entri seq=1: isinya diubah setelah ditulis" in page
    assert "content changed" not in page


def test_the_auditor_page_checks_new_entries_and_can_recheck_the_whole_chain(central):
    """The page recomputes the whole chain at most every few minutes (or at its
    link, ``full=1``) and each view in between checks what was written since: an
    entry rewritten behind the last check shows at once with ``full=1``."""
    auditor = signed_in(central, "auditor")
    first = auditor.get(f"{central.url}/audit", timeout=30).text
    counted = int(re.search(r"Rantai hash utuh: (\d+) entri diperiksa", first).group(1))
    assert "full=1" in first and "Periksa ulang seluruh rantai" in first
    auditor.get(f"{central.url}/audit/export.csv", timeout=30)  # one more entry (download.audit)
    second = auditor.get(f"{central.url}/audit", timeout=30).text
    assert f"Rantai hash utuh: {counted + 1} entri diperiksa" in second
    assert auditor.get(f"{central.url}/audit?full=ya", timeout=30).status_code == 400
    _rewrite_first_entry(central)
    rechecked = auditor.get(f"{central.url}/audit?full=1", timeout=30).text
    assert "Rantai hash RUSAK pada entri seq=1: isinya diubah setelah ditulis" in rechecked


def test_the_auditors_copy_of_the_registration_file_marks_nothing(central):
    """Putting a record on a registration file is what the recheck decides by (a
    BPJS listing of it then means registered): the operator's download marks the
    records, the auditor's (read-only role) must not."""
    from .test_verification import _rules_pass

    central.register().send(records(3))
    _rules_pass(central)
    auditor = signed_in(central, "auditor")
    copy = auditor.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=60)
    assert copy.status_code == 200 and int(copy.headers["X-Berjasa-Rows"]) == 3
    assert [r["registration_exported_at"] for r in
            central.query("SELECT registration_exported_at FROM records")] == [None] * 3
    entry = central.query("SELECT changes FROM audit_log WHERE action = ? AND actor = ?",
                          ("download.bpjs-registration", "auditor-uji"))[0]
    assert json.loads(entry["changes"])["filters"]["marks"] is False
    operator = signed_in(central, "operator")
    assert operator.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=60).ok
    assert all(r["registration_exported_at"] for r in
               central.query("SELECT registration_exported_at FROM records"))


def test_a_download_month_takes_ascii_digits_only(central):
    """The same rules as ``central export --month`` (central.exports.check_filters)."""
    operator = signed_in(central, "operator")
    for month in ("2026-1\u0661", "\uff12\uff10\uff12\uff16-\uff11\uff11", "2101-01"):
        answer = operator.get(f"{central.url}/unduh/payment-list", params={"month": month},
                              timeout=30, headers={"Accept": "application/json"})
        assert answer.status_code == 400, month
        assert answer.json()["code"] == "invalid_filter" and "month" in answer.json()["errors"]
    answer = operator.get(f"{central.url}/unduh/progress", params={"month": "2026-01"}, timeout=30,
                          headers={"Accept": "application/json"})
    assert answer.status_code == 400 and "hanya untuk payment-list" in answer.json()["message"]
def test_head_or_a_prefetch_of_a_download_builds_and_records_nothing(central):
    """HEAD /unduh/<what> ran the whole export: it marked the registration records
    and wrote a download entry to the trail. HEAD is now 405 (Allow: GET) and a
    browser's prefetch 503, on every download route, without running the export."""
    from .test_verification import _rules_pass

    central.register().send(records(2))
    _rules_pass(central)
    operator = signed_in(central, "operator")
    urls = [f"{central.url}/unduh/{what}?format=csv" for what in
            ("bpjs-registration", "payment-list", "rejections", "progress", "all")]
    for url in urls:
        head = operator.head(url, timeout=30)
        assert head.status_code == 405 and head.headers["Allow"] == "GET"
        for header in ({"Sec-Purpose": "prefetch"}, {"Purpose": "prefetch"}, {"X-Moz": "prefetch"}):
            assert operator.get(url, headers=header, timeout=30).status_code == 503
    auditor = signed_in(central, "auditor")
    after_login = central.query("SELECT count(*) AS n FROM audit_log")[0]["n"]
    head = auditor.head(f"{central.url}/audit/export.csv", timeout=30)
    assert head.status_code == 405 and head.headers["Allow"] == "GET"
    prefetched = auditor.get(f"{central.url}/audit/export.csv", timeout=30,
                             headers={"Sec-Purpose": "prefetch;prerender"})
    assert prefetched.status_code == 503
    assert central.query("SELECT count(*) AS n FROM audit_log")[0]["n"] == after_login
    assert not central.query("SELECT action FROM audit_log WHERE action LIKE ?", ("download.%",))
    assert [r["registration_exported_at"] for r in
            central.query("SELECT registration_exported_at FROM records")] == [None, None]
    # a real GET still downloads
    assert operator.get(urls[0], timeout=60).status_code == 200
