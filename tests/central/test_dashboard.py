"""GET / : the central dashboard (both backends)."""

from __future__ import annotations

from central import verification
from central.privacy import erase_nik
from central.storage.dashboard import data_version

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


HOSTILE = ["<script>alert('x')</script>", "=HYPERLINK(\"http://evil\",\"klik\")",
           "\u202egnp.exe", "<img src=x onerror=alert(1)>"]


def test_dashboard_totals_week_chart_sync_and_rejections(central):
    device = central.register()
    sent = records(6)
    sent[0]["nik"] = "123"  # central rejects it (invalid NIK)
    device.send(sent)
    html = signed_in(central, "auditor").get(f"{central.url}/", timeout=30).text
    assert "81.466" in html and "45.000" in html and "Kohort 2024" in html
    assert "Pekerja baru aktif" in html and "<svg" in html and 'class="bar"' in html
    assert "Data diterima per minggu" in html and "6 data dalam" in html
    assert "Bontorannu" in html and "Diam lebih dari" not in html  # it just synced
    assert "Penolakan pusat menurut alasan" in html and "invalid_nik" in html
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
    second = {**records(1, KELURAHAN_B, seed=3)[0], "full_name": "MUHAMMAD RIDWAN DG. TOMPO",
              "birth_date": first["birth_date"]}
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
