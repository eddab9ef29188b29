"""cli: what the commands print on their common error paths (missing file, bad
argument, unknown kelurahan, wrong passphrase, uninitialised folder, unreachable
central...) is Bahasa Indonesia, click's own usage lines included; identifiers,
paths, commands in backticks and quoted values stay as typed. --json keys stay
English (checked on one command)."""

from __future__ import annotations

import json
import os

import pytest

from tests.cli.language import english_words
from tests.cli.test_bad_input_commands import run_cases
from tests.helpers import berjasa


@pytest.fixture()
def backup_file(data_dir, tmp_path):
    """A real backup of the test data folder, passphrase ``frasa sandi yang benar``."""
    target = tmp_path / "cadangan.bjb"
    berjasa("backup", str(target), "--passphrase-stdin", stdin="frasa sandi yang benar\n",
            data_dir=data_dir, check=True)
    return target


@pytest.mark.slow
def test_error_paths_speak_indonesian(tmp_path, data_dir, backup_file):
    fresh = tmp_path / "belum-ada"
    kel = ["--data-dir", str(data_dir)]
    cen = ["--data-dir", str(tmp_path / "pusat")]
    missing = str(tmp_path / "tidak-ada.csv")
    cases = [
        # missing or wrong files
        ["restore", missing, "--passphrase-stdin", *kel],
        ["central", "import", "dtsen", missing, *cen],
        ["central", "import-batches", missing, *cen],
        ["sync", "import-answers", missing, *kel],
        # bad arguments, unknown commands and options
        ["serve", "--port", "abc", *kel], ["serve", "--port", "70000", *kel],
        ["user", "add", "budi", "--role", "raja", *kel], ["user", "add", *kel],
        ["central", "export", "--what", "all", "--format", "pdf", *cen],
        ["perintah-tidak-ada"], ["serve", "--opsi-tidak-ada"], ["backup", *kel],
        ["audit", "export", "--since", "kemarin", *kel],
        ["privacy", "export", "123", *kel],
        ["sync", "register", "--central", "bukan url", "--code", "X", *kel],
        # unknown kelurahan
        ["init", "--kelurahan", "99.99.99.9999", "--data-dir", str(fresh)],
        ["init", "--kelurahan", "bontoranu", "--data-dir", str(fresh)],
        # wrong passphrase, too short a password
        ["restore", str(backup_file), "--passphrase-stdin", "--force", "--data-dir",
         str(tmp_path / "pulih")],
        ["user", "add", "budi", "--role", "admin", "--password-stdin", *kel],
        # folders never initialised, central not reachable, device not registered
        ["serve", "--data-dir", str(fresh)], ["migrate", "--data-dir", str(fresh)],
        ["audit", "verify", "--data-dir", str(fresh)],
        ["central", "device", "add", "--kelurahan", "73.71.01.1001", *cen],
        ["sync", "register", "--central", "http://127.0.0.1:1", "--code", "X", *kel],
        ["sync", "run", "--once", *kel], ["sync", "export", "--to", missing, *kel],
    ]
    stdin = {"restore": "frasa sandi yang salah\n", "user": "pendek\n"}
    results = run_cases([{"args": args, "stdin": stdin.get(args[0], "")} for args in cases],
                        {**os.environ, "PYTHONIOENCODING": "utf-8",
                         "BERJASA_DATA_DIR": str(fresh)})
    english = []
    for result in results:
        assert result["code"] not in (0, "traceback"), result
        # the log lines of `sync run` are for developers (JSON, English `msg`)
        text = "\n".join(line for line in (result["out"] + result["err"]).splitlines()
                         if not line.startswith("{"))
        assert "Galat:" in text, result
        found = english_words(text)
        if found:
            english.append(f"berjasa {' '.join(result['args'])}: {found}\n{text}")
    assert not english, "English in messages:\n\n" + "\n\n".join(english)


def test_the_english_detector_finds_english():
    """The check above can fail: click's untranslated lines and an English error."""
    assert english_words("Error: Missing argument 'PATH'.") == ["argument", "error", "missing"]
    assert english_words("Try 'berjasa --help' for help.") == ["for", "help", "try"]
    assert english_words("Galat: Argumen belum diisi 'PATH'.") == []
    assert english_words("Galat: berkas /tmp/the-file.csv tidak ada; jalankan `berjasa init`") == []


def test_json_answers_keep_english_keys(data_dir):
    answer = berjasa("sync", "status", "--json", data_dir=data_dir, check=True)
    keys = set(json.loads(answer.stdout.strip().splitlines()[-1]))
    assert "pending" in keys and "device_id" in keys, keys


@pytest.mark.slow
def test_port_in_use_is_one_indonesian_line(tmp_path, data_dir):
    """`serve` and `central serve` on a taken port: no traceback, the fix named."""
    import socket
    cen = ["--data-dir", str(tmp_path / "pusat")]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        results = run_cases([{"args": ["serve", "--port", port, "--data-dir", str(data_dir)]},
                             {"args": ["central", "init", *cen]},
                             {"args": ["central", "serve", "--port", port, *cen]}],
                            {**os.environ, "PYTHONIOENCODING": "utf-8"})
    for result in (results[0], results[2]):
        assert result["code"] == 1, result
        text = result["out"] + result["err"]
        assert "Traceback" not in text and f"port {port}" in text and "--port" in text, text
        prose = "\n".join(line for line in text.splitlines() if not line.startswith("{"))
        assert not english_words(prose), prose
