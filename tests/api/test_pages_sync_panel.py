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
