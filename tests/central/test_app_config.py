"""Central runs on the settings its entry point read once, in the kelurahan
server's shape (:class:`berjasa.settings.AppConfig`): the value passed in is the
one used and a change to settings.toml takes effect at the next start only."""

from __future__ import annotations

from pathlib import Path

import pytest

from berjasa.settings import AppConfig, read_app_config, write_setting
from central.app import create_app

BODY = b"x" * 200


def _config(folder: Path, overrides: dict | None = None) -> AppConfig:
    return read_app_config(folder, overrides, database_url=f"sqlite:///{folder / 'central.db'}")


def _batch_status(app) -> int:
    return app.test_client().post("/api/v1/batches", data=BODY,
                                  headers={"Content-Type": "application/octet-stream"}).status_code


def test_the_settings_passed_in_are_the_ones_used(tmp_path: Path):
    assert _batch_status(create_app(_config(tmp_path, {"central_max_batch_bytes": 100}))) == 413
    assert _batch_status(create_app(_config(tmp_path))) != 413


def test_a_changed_settings_file_needs_a_restart(tmp_path: Path):
    running = create_app(_config(tmp_path))
    write_setting(tmp_path, "central_max_batch_bytes", 100)
    assert _batch_status(running) != 413
    assert _batch_status(create_app(_config(tmp_path))) == 413


def test_a_running_app_s_settings_are_read_only(tmp_path: Path):
    app = create_app(_config(tmp_path))
    with pytest.raises(TypeError):
        app.config["SETTINGS"]["central_max_batch_bytes"] = 1
