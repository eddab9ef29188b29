"""GET / : the central dashboard (both backends)."""

from __future__ import annotations

from .conftest import records
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
