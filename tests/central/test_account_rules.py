"""Central's office accounts (both backends): a new password must not be easy to
guess (the core's berjasa/password_policy.py, as at the kelurahan), and a password
reset (command or admin page) or enabling a user ends that user's lockout, in the
trail."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher

from berjasa.settings import write_setting
from tests.helpers import PASSWORD
from tests.helpers import berjasa as run

from .office import add_user, login, signed_in, token


def _command(central, *args, stdin=None):
    write_setting(central.data_dir, "central_database_url", central.database_url)
    return run("central", *args, stdin=stdin, data_dir=central.data_dir)


@pytest.mark.parametrize("password,reason", [
    ("12345678", "deret"), ("aaaaaaaa", "diulang"), ("ops1ops1", "nama pengguna"),
    ("indonesia", "paling sering"), ("rahasia2026", "paling sering"),
    ("zxcvbnm123", "deret")])
def test_user_add_refuses_a_weak_password_naming_why(central, password, reason):
    answer = _command(central, "user", "add", "ops1", "--role", "operator", "--password-stdin",
                      stdin=password + "\n")
    assert answer.returncode != 0 and "Traceback" not in answer.stderr
    assert "Kata sandi terlalu lemah" in answer.stderr and reason in answer.stderr
    assert central.query("SELECT id FROM users WHERE username = 'ops1'") == []


def test_reset_password_and_the_admin_page_refuse_weak_ones(central):
    add_user(central, "rina", "operator")
    weak = _command(central, "user", "reset-password", "rina", "--password-stdin",
                    stdin="Rina-2026!\n")
    assert weak.returncode != 0 and "nama pengguna" in weak.stderr
    admin = signed_in(central, "admin")
    [rina] = central.query("SELECT id FROM users WHERE username = 'rina'")
    changed = admin.post(f"{central.url}/admin/users/{rina['id']}", timeout=30, data={
        "csrf_token": token(admin, central, "/admin/users"), "action": "password",
        "password": "bismillah"})
    assert changed.status_code == 422 and "paling sering" in changed.text
    added = admin.post(f"{central.url}/admin/users", timeout=30, data={
        "csrf_token": token(admin, central, "/admin/users"), "username": "budi",
        "role": "verifier", "password": "sayangku1"})
    assert added.status_code == 422 and "paling sering" in added.text


def test_a_stored_weak_password_still_signs_in(central):
    """Only new and changed passwords are checked."""
    add_user(central, "lama", "auditor")
    central.change("UPDATE users SET password_hash = ? WHERE username = 'lama'",
                   (PasswordHasher().hash("12345678"),))
    _, answer = login(central, "lama", "12345678")
    assert answer.status_code == 200 and answer.url.rstrip("/") == central.url


def _lock_out(central, name: str) -> None:
    for _ in range(10):
        _, answer = login(central, name, "bukan-sandinya")
        assert answer.status_code == 401
    _, locked = login(central, name)
    assert locked.status_code == 429 and "minta admin mengganti kata sandi" in locked.text


def _entries(central, action: str) -> list[dict]:
    return [json.loads(e["changes"] or "{}") for e in central.query(
        "SELECT changes FROM audit_log WHERE action = ? ORDER BY seq", (action,))]


def test_reset_password_by_command_ends_the_lockout(central):
    add_user(central, "rina", "operator")
    _lock_out(central, "rina")
    done = _command(central, "user", "reset-password", "rina", "--password-stdin",
                    stdin="Somba-Opu-Baru-77\n")
    assert done.returncode == 0, done.stderr
    _, answer = login(central, "rina", "Somba-Opu-Baru-77")
    assert answer.status_code == 200 and answer.url.rstrip("/") == central.url
    [entry] = _entries(central, "user.reset_password")
    assert entry["login_failures_cleared"] == 10


def test_reset_on_the_admin_page_and_enabling_end_the_lockout(central):
    admin = signed_in(central, "admin")  # first: the failures lock the address out too
    add_user(central, "rina", "operator")
    _lock_out(central, "rina")
    [rina] = central.query("SELECT id FROM users WHERE username = 'rina'")
    reset = admin.post(f"{central.url}/admin/users/{rina['id']}", timeout=30, data={
        "csrf_token": token(admin, central, "/admin/users"), "action": "password",
        "password": "Somba-Opu-Baru-77"})
    assert reset.status_code == 200, reset.text[:300]
    _, answer = login(central, "rina", "Somba-Opu-Baru-77")
    assert answer.status_code == 200 and answer.url.rstrip("/") == central.url
    add_user(central, "budi", "verifier")
    _lock_out(central, "budi")
    assert _command(central, "user", "disable", "budi").returncode == 0
    assert _command(central, "user", "enable", "budi").returncode == 0
    _, answer = login(central, "budi", PASSWORD)
    assert answer.status_code == 200 and answer.url.rstrip("/") == central.url
    assert [e["login_failures_cleared"] for e in _entries(central, "user.reset_password")] == [10]
    assert [e["login_failures_cleared"] for e in _entries(central, "user.enable")] == [10]
