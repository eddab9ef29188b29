"""The core's password policy (berjasa/password_policy.py): the rules and their
reasons; the apps' commands and pages are tested in tests/cli/test_account_rules.py
and tests/central/test_account_rules.py."""

from __future__ import annotations

import pytest

from berjasa import demo
from berjasa.password_policy import REASONS, WeakPassword, check_new_password, common_passwords
from tests.helpers import PASSWORD


@pytest.mark.parametrize("password,username,reason", [
    ("pendek", "x", "too_short"), (" " * 9, "x", "blank"),
    ("ops1ops1", "ops1", "contains_username"), ("Kantor-RINA-2026", "rina", "contains_username"),
    ("aaaaaaaa", "x", "repeated"), ("ops1ops1", "lain", "repeated"), ("12121212", "x", "repeated"),
    ("12345678", "x", "sequence"), ("87654321", "x", "sequence"), ("abcdefgh", "x", "sequence"),
    ("abcd1234", "x", "sequence"), ("qwerty123", "x", "sequence"), ("zxcvbnm123", "x", "sequence"),
    ("1234567890", "x", "sequence"),
    ("password", "x", "common"), ("bismillah", "x", "common"), ("indonesia", "x", "common"),
    ("makassar", "x", "common"), ("rahasia!!", "x", "common"), ("sayang123", "x", "common"),
    ("Makassar2024", "x", "common"), ("P@ssw0rd", "x", "common"), ("password1", "x", "common"),
])
def test_refused_with_its_reason(password, username, reason):
    with pytest.raises(WeakPassword) as refused:
        check_new_password(password, username)
    assert refused.value.reason == reason and str(refused.value) == REASONS[reason]


@pytest.mark.parametrize("password,username", [
    (PASSWORD, "supervisor"), (demo.PASSWORD, "admin-kota"), (demo.PASSWORD, "petugas"),
    ("kata-sandi-migrasi-1", "pengawas"), ("Perahu-Pinisi-Losari-7", "rina"),
    ("sandi kantor lurah", None), ("ops-kota-2026", "op")])
def test_accepted(password, username):
    check_new_password(password, username)


def test_every_user_the_suite_and_the_demo_make_passes():
    """The suite's and the demo's fixed passwords pass the policy for every user they
    create (a password containing a user's name would be refused)."""
    for name, _ in demo.ROLES + demo.CENTRAL_ROLES:
        check_new_password(demo.PASSWORD, name)
    from tests.conftest import USERS
    for name, _ in USERS:
        check_new_password(PASSWORD, name)


def test_the_list_holds_the_indonesian_favourites():
    assert {"bismillah", "indonesia", "makassar", "rahasia", "sayang", "password",
            "qwerty"} <= common_passwords()
