"""api: /api/v1/auth/token › POST — tokens, expiry, lockout; GET /health."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from tests.helpers import PASSWORD


def login(base: str, username, password, **kwargs) -> requests.Response:
    return requests.post(f"{base}/api/v1/auth/token",
                         json={"username": username, "password": password}, timeout=30, **kwargs)


def test_health_needs_no_login(live_server):
    answer = requests.get(f"{live_server}/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_good_credentials_give_a_token_stored_only_as_a_hash(live_server, data_dir):
    answer = login(live_server, "supervisor", PASSWORD)
    assert answer.status_code == 200
    body = answer.json()
    assert body["role"] == "supervisor" and body["expires_at"] and len(body["token"]) >= 40
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    stored = [row[0] for row in conn.execute("SELECT token_hash FROM api_tokens")]
    conn.close()
    assert body["token"] not in stored and len(stored) == 1


@pytest.mark.parametrize("username,password", [("supervisor", "salah-sekali"),
                                               ("nobody", PASSWORD), (5, PASSWORD),
                                               ("supervisor", None)])
def test_bad_credentials_are_401(live_server, username, password):
    answer = login(live_server, username, password)
    assert answer.status_code == 401 and answer.json()["code"] == "bad_credentials"


def test_expired_token_is_401(live_server, data_dir):
    token = login(live_server, "enumerator", PASSWORD).json()["token"]
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00+00:00'")
    conn.commit()
    conn.close()
    answer = requests.get(f"{live_server}/api/v1/enrollments",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 401


def test_logout_revokes_the_token(live_server):
    token = login(live_server, "enumerator", PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.delete(f"{live_server}/api/v1/auth/token", headers=headers,
                           timeout=10).status_code == 204
    assert requests.get(f"{live_server}/api/v1/enrollments", headers=headers,
                        timeout=10).status_code == 401


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 3}


def test_repeated_failures_lock_the_user_out_with_429(live_server):
    for _ in range(3):
        assert login(live_server, "auditor", "salah-salah").status_code == 401
    locked = login(live_server, "auditor", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0
    minutes = -(-int(locked.headers["Retry-After"]) // 60)  # the wait, in words too
    assert f"Coba lagi dalam {minutes} menit" in locked.json()["message"]
    assert login(live_server, "supervisor", PASSWORD).status_code == 429  # same address


def test_failed_logins_are_audited_without_passwords(live_server, data_dir):
    login(live_server, "supervisor", "rahasia-salah-1")
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    rows = conn.execute("SELECT action, actor, changes FROM audit_log").fetchall()
    conn.close()
    assert ("login.failed", "supervisor", "{}") in rows
    assert all("rahasia-salah-1" not in str(row) for row in rows)



def test_head_requests_neither_count_as_failed_logins_nor_run_a_view(live_server, data_dir):
    """A link checker HEADing /login counted each HEAD as a failed login and locked
    the office out (3 failures here). HEAD is answered 405 but on /health."""
    for _ in range(4):
        head = requests.head(f"{live_server}/login", timeout=10)
        assert head.status_code == 405 and head.headers["Allow"] == "GET"
    for path in ("/api/v1/field/dedupe-index", "/enrollments", "/api/v1/audit"):
        assert requests.head(f"{live_server}{path}", timeout=10).status_code == 405, path
    assert requests.head(f"{live_server}/health", timeout=10).status_code == 200
    assert login(live_server, "auditor", PASSWORD).status_code == 200
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    try:
        failed = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%fail%'").fetchone()[0]
    finally:
        conn.close()
    assert failed == 0
