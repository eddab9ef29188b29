"""cli: output to a stream whose encoding lacks a character (on Windows, a file or
pipe in the ANSI code page, cp1252) writes it as an escape instead of stopping
with a traceback after the work is done (berjasa.commandline.tolerant_output)."""

from __future__ import annotations

import json

from tests.helpers import berjasa

CP1252 = {"PYTHONIOENCODING": "cp1252"}
NAME = "Ŋurul"  # U+014A: no cp1252 byte for it


def test_a_name_cp1252_cannot_write_is_escaped_and_the_command_succeeds(data_dir):
    added = berjasa("user", "add", NAME, "--role", "supervisor", "--password-stdin", "--json",
                    stdin="kata-sandi-panjang-1\n", data_dir=data_dir, env=CP1252, process=True)
    assert added.returncode == 0, added.stderr
    assert "Traceback" not in added.stderr
    assert "\\u014a" in added.stdout.lower()
    assert json.loads(added.stdout.strip().splitlines()[-1])["username"] == NAME

    again = berjasa("user", "add", NAME, "--role", "supervisor", "--password-stdin",
                    stdin="kata-sandi-panjang-1\n", data_dir=data_dir, env=CP1252, process=True)
    assert again.returncode != 0 and "Traceback" not in again.stderr  # taken: one clear line
    assert "\\u014a" in again.stderr.lower() or "sudah" in again.stderr


def test_a_utf8_stream_is_left_as_it_is(data_dir):
    added = berjasa("user", "add", NAME, "--role", "supervisor", "--password-stdin", "--json",
                    stdin="kata-sandi-panjang-1\n", data_dir=data_dir,
                    env={"PYTHONIOENCODING": "utf-8"}, process=True)
    assert added.returncode == 0, added.stderr
    assert NAME in added.stdout
