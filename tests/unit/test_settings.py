"""Settings: declared once, documented, typed, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from berjasa.settings import SETTINGS, SettingsError, load_settings, write_setting

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_is_documented():
    load_settings(None)  # declares the settings of every part
    documented = DOCS.read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if f"`{name}`" not in documented]
    assert missing == []


def test_file_then_environment_then_overrides(tmp_path, monkeypatch):
    write_setting(tmp_path, "port", 9000)
    assert load_settings(tmp_path)["port"] == 9000
    monkeypatch.setenv("BERJASA_PORT", "9100")
    assert load_settings(tmp_path)["port"] == 9100
    assert load_settings(tmp_path, {"port": 9200})["port"] == 9200


@pytest.mark.parametrize("text", ['port = "delapan"', "nonsense = 1", "port = [1"])
def test_bad_settings_file_is_a_clear_error(tmp_path, text):
    (tmp_path / "settings.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings(tmp_path)


def test_wrong_type_in_environment_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("BERJASA_LOGIN_MAX_FAILURES", "banyak")
    with pytest.raises(SettingsError, match="BERJASA_LOGIN_MAX_FAILURES"):
        load_settings(tmp_path)


@pytest.mark.parametrize(("name", "value"), [
    ("field_hint_false_positive_rate", "0"), ("field_hint_false_positive_rate", "1.5"),
    ("field_hint_false_positive_rate", "-0.01"), ("field_hint_scope", "kota"),
])
def test_a_value_outside_what_the_setting_allows_is_refused_by_name(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv(f"BERJASA_{name.upper()}", value)
    with pytest.raises(SettingsError, match=f"BERJASA_{name.upper()}: {name} must be"):
        load_settings(tmp_path)
    write_setting(tmp_path, name, float(value) if name.endswith("rate") else value)
    monkeypatch.delenv(f"BERJASA_{name.upper()}")
    with pytest.raises(SettingsError, match=name):
        load_settings(tmp_path)


def test_a_settings_file_notepad_or_powershell_saved_reads_or_says_why(tmp_path):
    """Notepad writes UTF-8 with a BOM (it had been "Invalid statement (at line 1,
    column 1)"); PowerShell 5's ``>`` writes UTF-16 (it had been a traceback)."""
    settings = tmp_path / "settings.toml"
    settings.write_bytes(b"\xef\xbb\xbfsync_interval_minutes = 7\n")
    assert load_settings(tmp_path)["sync_interval_minutes"] == 7
    settings.write_bytes("sync_interval_minutes = 7\n".encode("utf-16"))
    with pytest.raises(SettingsError, match="bukan teks UTF-8"):
        load_settings(tmp_path)
