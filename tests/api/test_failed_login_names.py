"""Failed logins write no caller-chosen text into the permanent trail (issue 13
item 12): unknown usernames are recorded as a keyed hash."""

from __future__ import annotations

import re
import sqlite3

import pytest
import requests

from server.accounts import failed_login_name, login_name_key


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 50}


def login(base: str, username, password) -> requests.Response:
    return requests.post(f"{base}/api/v1/auth/token",
                         json={"username": username, "password": password}, timeout=30)


def test_unknown_usernames_enter_the_trail_only_as_a_keyed_hash(live_server, data_dir):
    """Issue 13 item 12: the typed name of a failed login is caller-chosen text."""
    typed = ["7371014101900001", "<script>alert(1)</script>", "\x1b[31mroot", "kata sandi ku",
             "x" * 5000, "Ṣíttī\u202e"]
    for name in typed:
        assert login(live_server, name, "salah-salah-1").status_code in (401, 429)
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    rows = conn.execute("SELECT actor, changes, reason FROM audit_log"
                        " WHERE action = 'login.failed'").fetchall()
    failures = conn.execute("SELECT username FROM login_failures").fetchall()
    conn.close()
    actors = [row[0] for row in rows]
    assert len(actors) == len(typed)
    assert all(re.fullmatch(r"unknown:[0-9a-f]{16}", actor) for actor in actors), actors
    assert len(set(actors)) == len(typed)  # distinct names stay distinct
    dump = str(rows) + str(failures)
    for name in typed:
        assert name[:12] not in dump

    assert sorted(f[0] for f in failures) == sorted(actors)  # lockout counts the hash


def test_the_same_typed_name_gives_the_same_hash_under_one_key_only():
    key, other = login_name_key("rahasia-a"), login_name_key("rahasia-b")
    assert failed_login_name(None, "budi", key) == failed_login_name(None, "budi", key)
    assert failed_login_name(None, "budi", key) != failed_login_name(None, "budi", other)
    assert failed_login_name({"username": "siti"}, "siti", key) == "siti"
