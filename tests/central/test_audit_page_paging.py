"""The auditor's trail page and its CSV export as an auditor uses them (both backends,
the real server): paging through a trail that grows while it is read shows every entry
once, and a NIK typed into a filter never enters the trail that outlives an erasure."""

from __future__ import annotations

import re

from berjasa.audit import Actor
from central import trail

from .conftest import records
from .office import signed_in
from .test_cli import berjasa

_SEQ = re.compile(r"<tr><td>(\d+)</td>")
_NEXT = re.compile(r'<a href="([^"]+)">Halaman berikutnya</a>')


def _append(central, count: int) -> None:
    db = central.db()
    try:
        for _ in range(count):
            trail.record(db, Actor("operator-lain", "operator", "127.0.0.1"), "login")
    finally:
        db.close()


def _page(browser, central, path: str) -> tuple[list[int], str | None]:
    answer = browser.get(f"{central.url}{path}", timeout=20)
    assert answer.status_code == 200, answer.text[:300]
    following = _NEXT.search(answer.text)
    return ([int(seq) for seq in _SEQ.findall(answer.text)],
            following.group(1).replace("&amp;", "&") if following else None)


def test_paging_through_a_growing_trail_shows_each_entry_once(central):
    auditor = signed_in(central, "auditor")
    _append(central, trail.PAGE_SIZE + 30)
    first, following = _page(auditor, central, "/audit")
    assert len(first) == trail.PAGE_SIZE and following
    # batches arrive and people sign in while the auditor reads the first page
    _append(central, 7)
    second, _ = _page(auditor, central, following)
    assert not set(first) & set(second), "entries of page 1 shown again on page 2"
    assert second and max(second) < min(first)
    # every entry that existed when the first page was read is on one of the two pages
    assert sorted(first + second) == list(range(1, max(first) + 1))


def test_a_nik_typed_into_the_trail_filters_stays_out_of_the_trail(central):
    sent = records(1)
    central.register().send(sent)
    nik = sent[0]["nik"]
    auditor = signed_in(central, "auditor")
    for query in ({"record": nik}, {"actor": nik}, {"record": f"{nik[:6]} {nik[6:12]} {nik[12:]}"}):
        answer = auditor.get(f"{central.url}/audit/export.csv", params=query, timeout=20)
        assert answer.status_code == 200
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    done = berjasa("central", "audit", "history", "--record", nik, "--by", "Andi BPKP",
                   data_dir=central.data_dir, check=False)
    assert done.returncode == 1 and "tidak pernah ada di pusat" in done.stderr
    stored = repr(central.query("SELECT * FROM audit_log"))
    assert "download.audit" in stored and "view.record_history" in stored
    digits = re.sub(r"\D", "", stored)
    assert nik not in digits, "a NIK typed by the auditor is in the append-only trail"
    # the look is still recorded, with the NIK as its keyed pseudonym
    looks = central.query("SELECT changes FROM audit_log WHERE action = 'view.record_history'")
    assert "p1:" in looks[-1]["changes"]
