"""A bearer token is bounded by its issue time as well as its expiry (h2's report,
item 9): a token issued while the laptop's clock ran ahead (2,000 days) stops
working once the clock is right, instead of until its far expiry; so does a token
whose expiry lies further ahead than `token_ttl_minutes` from now. A few minutes of
difference between clocks is tolerated."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.helpers import FAKETIME_LIB, PASSWORD, faketime_env, free_port, start_server


def token_of(base: str, username: str = "enumerator") -> dict:
    answer = requests.post(f"{base}/api/v1/auth/token", timeout=30,
                           json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()


def status_with(base: str, token: str) -> int:
    return requests.get(f"{base}/api/v1/enrollments", timeout=30,
                        headers={"Authorization": f"Bearer {token}"}).status_code


def stored(folder, sql: str, params: tuple) -> None:
    conn = sqlite3.connect(folder / "kelurahan.db")
    with conn:
        conn.execute(sql, params)
    conn.close()


@pytest.mark.skipif(not FAKETIME_LIB.exists(), reason="libfaketime is not installed")
def test_a_token_issued_with_the_clock_2000_days_ahead_is_refused_once_it_is_right(
        data_dir, monkeypatch):
    port = free_port()
    for name, value in faketime_env("+2000d").items():
        monkeypatch.setenv(name, value)
    ahead = start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                         f"http://127.0.0.1:{port}")
    for name in faketime_env("+2000d"):
        monkeypatch.delenv(name)
    try:
        issued = token_of(f"http://127.0.0.1:{port}")
        assert status_with(f"http://127.0.0.1:{port}", issued["token"]) == 200
    finally:
        ahead.terminate()
        ahead.wait(timeout=60)
    assert issued["expires_at"][:4] >= str(datetime.now(timezone.utc).year + 5)
    right = start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                         f"http://127.0.0.1:{port}")
    try:
        assert status_with(f"http://127.0.0.1:{port}", issued["token"]) == 401
        assert status_with(f"http://127.0.0.1:{port}", token_of(f"http://127.0.0.1:{port}")["token"]) == 200
    finally:
        right.terminate()
        right.wait(timeout=60)


def test_issue_time_ahead_or_an_expiry_beyond_the_ttl_is_refused(live_server, data_dir):
    token = token_of(live_server)["token"]
    now = datetime.now(timezone.utc)

    def moved(created: timedelta, expires: timedelta) -> int:
        stored(data_dir, "UPDATE api_tokens SET created_at = ?, expires_at = ?",
               ((now + created).isoformat(timespec="microseconds"),
                (now + expires).isoformat(timespec="seconds")))
        return status_with(live_server, token)

    ttl = timedelta(minutes=720)  # token_ttl_minutes' default
    assert moved(timedelta(0), ttl) == 200
    assert moved(timedelta(minutes=2), ttl) == 200  # clocks a little apart: still fine
    assert moved(timedelta(hours=1), ttl) == 401  # issued in the future
    assert moved(timedelta(0), ttl + timedelta(hours=1)) == 401  # lives longer than allowed
    assert moved(-ttl, timedelta(seconds=-1)) == 401  # expired, as before
