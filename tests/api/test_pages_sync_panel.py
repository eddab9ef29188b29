"""pages: the sync panel on the queue and its "Kirim sekarang" button."""

from __future__ import annotations

import re

from tests.helpers import PASSWORD


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code in (302, 303)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_queue_shows_that_the_laptop_is_not_registered(app):
    client = app.test_client()
    login(client, "supervisor")
    page = client.get("/").get_data(as_text=True)
    assert "Pengiriman ke pusat" in page and "belum terdaftar di pusat" in page


def test_sync_now_needs_a_supervisor_and_a_csrf_token(app):
    client = app.test_client()
    login(client, "auditor")
    page = client.get("/").get_data(as_text=True)
    assert "Kirim sekarang" not in page
    assert client.post("/sync", data={"csrf_token": csrf_of(page)}).status_code == 403
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert supervisor.post("/sync", data={"csrf_token": "palsu"}).status_code == 400
    page = supervisor.get("/").get_data(as_text=True)
    answer = supervisor.post("/sync", data={"csrf_token": csrf_of(page)})
    assert answer.status_code in (302, 303) and "sync=started" in answer.headers["Location"]


def test_the_panel_says_when_central_holds_records_this_laptop_lost(app, data_dir):
    from berjasa.database import connect

    conn = connect(data_dir / "kelurahan.db")
    conn.execute("INSERT INTO sync_device (singleton, device_id, kelurahan_code, central_url,"
                 " key_file, public_key, registered_at) VALUES (1, 'dev-1', '73.71.01.1001',"
                 " 'https://pusat.example', 'device_key.pem', 'x', '2026-11-01T00:00:00+00:00')")
    conn.execute("INSERT INTO sync_state (key, value) VALUES ('restored_from_backup',"
                 " '{\"backup_created_at\": \"2026-11-20T02:00:00+00:00\"}')")
    conn.close()
    client = app.test_client()
    login(client, "supervisor")
    page = client.get("/").get_data(as_text=True)
    assert "dipulihkan dari cadangan 20-11-2026 10:00 WITA" in page and "berjasa sync recover" in page
    conn = connect(data_dir / "kelurahan.db")
    for n, status in enumerate(("accepted", "sent_back", None)):
        conn.execute("INSERT INTO sync_central_only (record_id, central_status, last_kind, last_seq,"
                     " first_seen_at, last_seen_at) VALUES (?, ?, 'accepted', ?, 't', 't')",
                     (f"r{n}", status, n))
    conn.close()
    page = client.get("/").get_data(as_text=True)
    assert 'data-central-only="3"' in page
    assert re.search(r"Pusat memegang\s+3 data yang tidak ada di laptop ini", page)
