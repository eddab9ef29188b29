"""GET / : the central dashboard (both backends)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from berjasa.synthetic import born_on
from central import overview, verification
from central.privacy import erase_nik
from central.storage.dashboard import data_version
from tests.central_databases import migrated

from .conftest import KELURAHAN_A, KELURAHAN_B, records
from .office import signed_in


def test_dashboard_shows_progress_per_kecamatan_without_scripts(central):
    central.register().send(records(3))
    page = signed_in(central, "operator").get(f"{central.url}/", timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    html = page.text
    assert "Capaian per kecamatan" in html and "Mariso" in html
    assert "<script" not in html
    assert 'value="1"' in html or 'value="0"' in html
    # Indonesian numbers: "." groups thousands, "," before decimals, in every table
    assert "81.466" in html and "2.655" in html and ">2655<" not in html
    assert re.search(r"\(\d+,\d%\)", html) and not re.search(r"\d\.\d%", html)


HOSTILE = ["<script>alert('x')</script>", "=HYPERLINK(\"http://evil\",\"klik\")",
           "\u202egnp.exe", "<img src=x onerror=alert(1)>"]


def test_dashboard_totals_week_chart_sync_and_rejections(central):
    device = central.register()
    sent = records(6)
    sent[0]["nik"] = "123"  # central rejects it (a NIK a spreadsheet cut short)
    device.send(sent)
    # the batch came an hour ago: stored in UTC, shown in Makassar time (UTC+8)
    came = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    db = central.db()
    try:
        with db.transaction():
            db.run("UPDATE batches SET received_at = ?", (came.isoformat(),))
    finally:
        db.close()
    local = came + timedelta(hours=8)
    html = signed_in(central, "auditor").get(f"{central.url}/", timeout=30).text
    assert "81.466" in html and "45.000" in html and "Kohort 2024" in html
    assert "Pekerja baru aktif" in html and "<svg" in html and 'class="bar"' in html
    assert "Data diterima per minggu" in html and "6 data dalam" in html
    assert "Bontorannu" in html and "Diam lebih dari" not in html  # it just synced
    assert f"<td>{local:%d-%m-%Y %H:%M} WITA</td>" in html  # the laptop's last batch
    assert f"{local:%d-%m-%Y %H:%M:%S} WITA — kelurahan" in html  # the latest batches
    assert "Penolakan pusat menurut alasan" in html and "nik_damaged_by_spreadsheet" in html
    assert "UTC" not in html  # times in Makassar time (WITA), as the kelurahan pages show them
    # a laptop registered long ago that never sent is highlighted
    db = central.db()
    try:
        with db.transaction():
            db.run("UPDATE devices SET registered_at = '2025-01-01T00:00:00+00:00'")
            db.run("DELETE FROM batches")
    finally:
        db.close()
    html = signed_in(central, "verifier").get(f"{central.url}/", timeout=30).text
    assert 'class="silent"' in html and "Diam lebih dari 3 hari" in html


def test_hostile_text_is_shown_inert_on_the_drill_down(central):
    device = central.register()
    sent = records(len(HOSTILE))
    for record, name in zip(sent, HOSTILE):
        record["enumerator"] = name
    device.send(sent)
    operator = signed_in(central, "operator")
    page = operator.get(f"{central.url}/kecamatan/73.71.01", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\u202e" not in html and "[U+202E]gnp.exe" in html
    assert "=HYPERLINK(" in html.replace("&#34;", '"').replace("&quot;", '"')
    assert "Mutu per petugas pendata" in html and "Bontorannu" in html
    # one table for the kelurahan that sent data, one line naming the others
    quality = html.split('id="mutu"', 1)[1]
    assert quality.count("<h3 ") == 1 and quality.count("Belum ada data dari ") == 1
    assert '<span id="kel-73.71.01.1002">Mattoangin</span>' in quality  # the table's links land
    assert operator.get(f"{central.url}/kecamatan/99.99.99", timeout=30).status_code == 404
    assert operator.get(f"{central.url}/kecamatan/73.71.01.1001", timeout=30).status_code == 404


def _version(central):
    db = central.db()
    try:
        return data_version(db)
    finally:
        db.close()


def test_data_version_changes_with_an_ingest_a_decision_and_an_erasure(central):
    """The dashboard cache's change check (no count over records) still sees each
    write that changes the dashboard's numbers."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = {**records(1, KELURAHAN_A)[0], "full_name": "Muh. Ridwan Daeng Tompo"}
    second = born_on({**records(1, KELURAHAN_B, seed=3)[0], "full_name": "MUHAMMAD RIDWAN DG. TOMPO"},
                     first["birth_date"])
    a.send([first])
    before_ingest = _version(central)
    assert _version(central) == before_ingest  # nothing written: the same
    b.send([second])
    after_ingest = _version(central)
    assert after_ingest != before_ingest
    pair = central.query("SELECT central_id_a, central_id_b FROM duplicate_flags")[0]
    db = central.db()
    try:
        verification.decide_pair(db, pair["central_id_a"], pair["central_id_b"], "keep_a",
                                 "Orang yang sama", "vera")
        after_decision = data_version(db)
        assert after_decision != after_ingest
        erase_nik(db, central.data_dir, first["nik"], "Permintaan warga (UU PDP)", "vera")
        assert data_version(db) != after_decision
    finally:
        db.close()


class _Recording:
    """A database that remembers the statements run through it."""

    def __init__(self, db) -> None:
        self.db, self.statements = db, []

    def one(self, sql, params=()):
        self.statements.append((sql, list(params)))
        return self.db.one(sql, params)

    def query(self, sql, params=()):
        self.statements.append((sql, list(params)))
        return self.db.query(sql, params)


def _received(db, stamps: list[str]) -> None:
    with db.transaction():
        db.insert_rows("records", ("kelurahan_code", "record_id", "batch_id", "nik", "name_key",
                                   "status", "content_hash", "received_at", "updated_at"),
                       [(KELURAHAN_A, f"r{i}", "b", f"7371{i:012d}", "k", "accepted", "h", at, at)
                        for i, at in enumerate(stamps)])


def test_week_chart_counts_makassar_weeks_from_index_ranges(database_url):
    """Monday 00:00 WITA (Sunday 16:00 UTC) opens a week, Sunday 23:59 WITA closes
    the one before, as the pages show times; records
    older than the 26 weeks shown, or ahead of this week, are not in the chart;
    each week is a range on the received_at index, never a pass over every record
    (a GROUP BY over the table cost 650 ms at 100,000 records)."""
    with migrated(database_url) as db:
        _received(db, ["2026-11-22T16:00:00.000000+00:00", "2026-11-26T10:00:00+00:00",
                       "2026-11-22T15:59:59.999999+00:00", "2026-05-31T16:00:00+00:00",
                       "2025-01-06T08:00:00+00:00", "2026-11-29T16:00:00+00:00"])
        recording = _Recording(db)
        chart = overview.received_weekly(recording, today=date(2026, 11, 26))
        assert [bar["n"] for bar in chart["bars"][-2:]] == [1, 2]
        assert chart["bars"][-1]["week"] == "2026-11-23" and len(chart["bars"]) == 26
        assert chart["bars"][0]["week"] == "2026-06-01" and chart["bars"][0]["n"] == 1
        assert chart["total"] == 4 and chart["max"] == 2
        if db.dialect == "postgresql":
            db.run("SET enable_seqscan = off")  # a tiny table: the plan a large one gets
        for sql, params in recording.statements:
            if db.dialect == "sqlite":
                plan = " | ".join(r["detail"] for r in db.query("EXPLAIN QUERY PLAN " + sql,
                                                                params))
                assert "SCAN records" not in plan and "records_received_at" in plan, plan
            else:
                plan = " | ".join(r["QUERY PLAN"] for r in db.query("EXPLAIN " + sql, params))
                assert "Sort" not in plan and "Index Cond: ((received_at >=" in plan, plan


def test_enumerator_quality_leaves_erased_records_out(central):
    """/kecamatan/<code>: an enumerator's records, rates and send-backs counted the
    records erased since (the enumerator name is kept with an erased record); every
    other figure leaves erased records out, and so does this one now."""
    device = central.register(KELURAHAN_A)
    sent = [{**r, "enumerator": "petugas-uji"} for r in records(3, KELURAHAN_A, seed=41)]
    device.send(sent)
    db = central.db()
    try:
        verification.send_back(db, sent[0]["nik"], "Alamat kurang", "vera")
        erase_nik(db, central.data_dir, sent[0]["nik"], "Permintaan warga (UU PDP)", "vera")
        detail = overview.kecamatan_detail(db, KELURAHAN_A[:8], None)
    finally:
        db.close()
    [quality] = [q for q in detail["quality"][KELURAHAN_A] if q["enumerator"] == "petugas-uji"]
    assert (quality["total"], quality["sent_back"]) == (2, 0)


def test_dashboard_counts_verifier_rejections_under_one_code_without_their_text(central):
    """Each verifier's reason (free text, it may name the person) was a code of its
    own in "rejections by reason"; now they count as verifier_rejected."""
    device = central.register(KELURAHAN_A)
    sent = records(2, KELURAHAN_A, seed=43)
    device.send(sent)
    db = central.db()
    try:
        for person, text in zip(sent, ("KTP milik Daeng Tompo", "Alamat palsu"), strict=True):
            found = verification.send_back(db, person["nik"], "cek KTP", "vera")
            verification.decide_finding(db, found["finding_id"], "reject", text, "vera")
        shown = overview.dashboard(db, None)["rejections"]
    finally:
        db.close()
    assert [(r["code"], r["label"], r["n"]) for r in shown] == [
        ("verifier_rejected", "Ditolak verifikator", 2)]
