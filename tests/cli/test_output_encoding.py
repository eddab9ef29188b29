"""cli: output to a stream whose encoding lacks a character (on Windows, a file or
pipe in the ANSI code page, cp1252) writes it as an escape instead of stopping
with a traceback after the work is done (berjasa.commandline.tolerant_output)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import BERJASA, berjasa

CP1252 = {"PYTHONIOENCODING": "cp1252"}
NAME = "Ŋurul"  # U+014A: no cp1252 byte for it


def _person_named(data_dir, name: str) -> str:
    """A record of someone whose name cp1252 cannot write (a letter of any script is
    a name's); their NIK."""
    from berjasa.database import connect
    from berjasa.settings import load_settings
    from berjasa.synthetic import EnrollmentFaker
    from server import intake
    from server.storage.audit import Actor

    record = {**EnrollmentFaker("73.71.01.1001", seed=5).enrollment(), "full_name": f"{name} Daeng"}
    conn = connect(data_dir / "kelurahan.db")
    try:
        intake.create_enrollment(conn, record, Actor("enumerator", "enumerator"),
                                 load_settings(data_dir))
    finally:
        conn.close()
    return record["nik"]


@pytest.mark.slow
def test_a_name_cp1252_cannot_write_is_escaped_and_the_command_succeeds(data_dir):
    nik = _person_named(data_dir, NAME)
    shown = berjasa("privacy", "export", nik, "--json", data_dir=data_dir, env=CP1252, process=True)
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "\\u014a" in shown.stdout.lower()
    # JSON to a cp1252 stream is ASCII with JSON's escapes: it reads back exactly
    assert json.loads(shown.stdout)["records"][0]["full_name"] == f"{NAME} Daeng"
    assert shown.stdout.isascii()
    text = berjasa("privacy", "export", nik, data_dir=data_dir, env=CP1252, process=True)
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert "\\u014a" in text.stdout.lower()


@pytest.mark.slow
def test_a_utf8_stream_is_left_as_it_is(data_dir):
    nik = _person_named(data_dir, NAME)
    shown = berjasa("privacy", "export", nik, data_dir=data_dir,
                    env={"PYTHONIOENCODING": "utf-8"}, process=True)
    assert shown.returncode == 0, shown.stderr
    assert NAME in shown.stdout


@pytest.mark.slow
def test_a_passphrase_piped_in_utf8_is_the_one_typed_whatever_the_code_page(data_dir, tmp_path):
    """Windows reads a pipe as cp1252: "é" piped as UTF-8 became "Ã©", so a backup
    made with a piped passphrase did not open with the same one typed. A piped
    secret is read as UTF-8 (a BOM dropped)."""
    from server.backup import read_backup

    passphrase = "frasa-sandi-café-panjang"
    target = tmp_path / "cadangan.bjb"
    done = subprocess.run([*BERJASA, "backup", str(target), "--passphrase-stdin", "--data-dir",
                           str(data_dir)], input=("\ufeff" + passphrase + "\n").encode("utf-8"),
                          capture_output=True, env={**os.environ, **CP1252}, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    _, files = read_backup(target, passphrase)
    assert "kelurahan.db" in files
