"""cli + pages: the kelurahan's account rules: a new password must not be easy to
guess (berjasa/password_policy.py, shared with central), a password reset or
enabling a user ends that user's lockout (in the trail), and ``--by`` is recorded
as a command, never as a signed-in user of that name."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import requests
from argon2 import PasswordHasher

from tests.helpers import PASSWORD
from tests.helpers import berjasa as run

WEAK = [("12345678", "deret"), ("aaaaaaaa", "diulang"), ("ops1ops1", "nama pengguna"),
        ("bismillah", "paling sering"), ("Makassar2024", "paling sering"),
        ("qwerty123", "deret"), ("87654321", "deret"), ("P@ssw0rd", "paling sering"),
        ("abcabcab", "diulang"), ("sayang123", "paling sering")]


@pytest.mark.parametrize("password,reason", WEAK)
def test_user_add_refuses_a_weak_password_naming_why(data_dir, password, reason):
    answer = run("user", "add", "ops1", "--role", "admin", "--password-stdin",
                 data_dir=data_dir, stdin=password + "\n")
    assert answer.returncode != 0 and "Traceback" not in answer.stderr
    assert "Kata sandi terlalu lemah" in answer.stderr and reason in answer.stderr
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    assert conn.execute("SELECT count(*) FROM users WHERE username = 'ops1'").fetchone()[0] == 0
    conn.close()


def test_reset_password_refuses_a_weak_one_and_takes_a_good_one(data_dir):
    weak = run("user", "reset-password", "supervisor", "--password-stdin", data_dir=data_dir,
               stdin="supervisor-1\n")
    assert weak.returncode != 0 and "nama pengguna" in weak.stderr
    good = run("user", "reset-password", "supervisor", "--password-stdin", data_dir=data_dir,
               stdin="Lontara-Somba-Opu-7\n")
    assert good.returncode == 0, good.stderr


def _token(base: str, username: str, password: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/auth/token", timeout=30,
                         json={"username": username, "password": password})


def test_a_stored_weak_password_still_signs_in(data_dir, live_server):
    """Only new and changed passwords are checked: an account whose password was set
    before the policy keeps signing in with it."""
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE users SET password_hash = ? WHERE username = 'auditor'",
                 (PasswordHasher().hash("12345678"),))
    conn.commit()
    conn.close()
    assert _token(live_server, "auditor", "12345678").status_code == 200


def _admin_page(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      session.get(f"{base}/login", timeout=30).text).group(1)
    session.post(f"{base}/login", timeout=30, allow_redirects=False,
                 data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    page = session.get(f"{base}/admin/users", timeout=30).text
    return session, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _user_id(data_dir, name: str) -> int:
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    try:
        return conn.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]
    finally:
        conn.close()


def test_admin_page_refuses_a_weak_password(data_dir, live_server):
    admin, token = _admin_page(live_server)
    added = admin.post(f"{live_server}/admin/users", timeout=30, data={
        "csrf_token": token, "username": "ops1", "role": "supervisor", "password": "12345678"})
    assert added.status_code == 422 and "deret" in added.text
    changed = admin.post(f"{live_server}/admin/users/{_user_id(data_dir, 'auditor')}", timeout=30,
                         data={"csrf_token": token, "action": "password", "password": "rahasia1"})
    assert changed.status_code == 422 and "paling sering" in changed.text


def _lock_out(base: str, username: str) -> None:
    for _ in range(10):
        assert _token(base, username, "bukan-sandinya").status_code == 401
    locked = _token(base, username, PASSWORD)
    assert locked.status_code == 429 and "minta admin mengganti kata sandi" in locked.text


def _trail(data_dir, action: str) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    try:
        return conn.execute("SELECT actor, role, record_id, changes FROM audit_log"
                            " WHERE action = ? ORDER BY seq", (action,)).fetchall()
    finally:
        conn.close()


def test_reset_password_by_command_ends_the_lockout(data_dir, live_server):
    _lock_out(live_server, "supervisor")
    done = run("user", "reset-password", "supervisor", "--password-stdin", data_dir=data_dir,
               stdin="Sandi-Pengawas-Baru-9\n")
    assert done.returncode == 0, done.stderr
    assert _token(live_server, "supervisor", "Sandi-Pengawas-Baru-9").status_code == 200
    [(_, _, target, changes)] = _trail(data_dir, "user.update")
    assert target == "user:supervisor" and json.loads(changes)["login_failures_cleared"] == 10


def test_reset_password_on_the_admin_page_and_enabling_end_the_lockout(data_dir, live_server):
    admin, token = _admin_page(live_server)  # first: the failures lock the address out too
    _lock_out(live_server, "auditor")
    reset = admin.post(f"{live_server}/admin/users/{_user_id(data_dir, 'auditor')}", timeout=30,
                       data={"csrf_token": token, "action": "password",
                             "password": "Sandi-Pemeriksa-Baru-9"})
    assert reset.status_code in (200, 303), reset.text[:300]
    assert _token(live_server, "auditor", "Sandi-Pemeriksa-Baru-9").status_code == 200
    # a locked-out user an admin disabled and enables again starts afresh too
    _lock_out(live_server, "supervisor2")
    assert run("user", "disable", "supervisor2", data_dir=data_dir).returncode == 0
    assert run("user", "enable", "supervisor2", data_dir=data_dir).returncode == 0
    assert _token(live_server, "supervisor2", PASSWORD).status_code == 200
    cleared = [json.loads(changes).get("login_failures_cleared")
               for _, _, _, changes in _trail(data_dir, "user.update")]
    assert cleared == [10, None, 10]  # the reset, the disabling, the enabling

