"""The kelurahan server runs on the settings its entry point read once
(:class:`berjasa.settings.AppConfig`): the value passed in is the one used, a
change to settings.toml takes effect at the next start only, and the running
app's settings cannot be changed."""

from __future__ import annotations

import pytest

from berjasa.settings import read_app_config, write_setting
from server.app import create_app
from tests.helpers import PASSWORD


def _bad_logins(app, times: int) -> list[int]:
    client = app.test_client()
    return [client.post("/api/v1/auth/token",
                        json={"username": "supervisor", "password": PASSWORD + "x"}).status_code
            for _ in range(times)]


def test_the_settings_passed_in_are_the_ones_used(data_dir):
    app = create_app(read_app_config(data_dir, {"login_max_failures": 1}, testing=True))
    assert _bad_logins(app, 2) == [401, 429]


def test_a_changed_settings_file_needs_a_restart(data_dir):
    running = create_app(read_app_config(data_dir, testing=True))
    write_setting(data_dir, "login_max_failures", 1)
    assert _bad_logins(running, 2) == [401, 401]  # still the value read at start
    restarted = create_app(read_app_config(data_dir, testing=True))
    assert _bad_logins(restarted, 1) == [429]  # the two failures above count now


def test_a_running_app_s_settings_are_read_only(data_dir):
    app = create_app(read_app_config(data_dir, testing=True))
    with pytest.raises(TypeError):
        app.config["SETTINGS"]["login_max_failures"] = 1
    assert app.config["SETTINGS"]["login_max_failures"] == 10
