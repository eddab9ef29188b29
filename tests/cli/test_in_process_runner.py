"""tests.helpers.berjasa runs commands in this process (click's CliRunner): it
answers as ``python -m berjasa`` does (exit code, stdout, stderr), and a crash in
a command still shows as a traceback with exit code 1, so tests that check "no
traceback" can fail in-process too."""

from __future__ import annotations

import json
import os

import pytest

import server.cli
from tests.helpers import berjasa


@pytest.mark.slow
def test_in_process_and_subprocess_give_the_same_answer(tmp_path):
    for args in (["init", "--kelurahan", "73.71.99.1001"],          # a user mistake
                 ["init", "--kelurahan"],                            # a usage error
                 ["audit", "verify", "--json"]):                     # no database yet
        inside = berjasa(*args, data_dir=tmp_path / "a")
        outside = berjasa(*args, data_dir=tmp_path / "a", process=True)
        assert (inside.returncode, inside.stdout) == (outside.returncode, outside.stdout), args
        assert inside.stderr.replace("python -m berjasa", "berjasa") == \
            outside.stderr.replace("python -m berjasa", "berjasa"), args
        assert inside.returncode != 0
    inside = berjasa("init", "--kelurahan", "73.71.01.1001", "--json", data_dir=tmp_path / "b")
    outside = berjasa("init", "--kelurahan", "73.71.01.1001", "--json", data_dir=tmp_path / "c",
                      process=True)
    assert inside.returncode == outside.returncode == 0
    answers = [json.loads(done.stdout.splitlines()[-1]) for done in (inside, outside)]
    assert [{k: v for k, v in a.items() if k not in ("data_dir", "database")} for a in answers] \
        == [{k: v for k, v in answers[1].items() if k not in ("data_dir", "database")}] * 2


def test_a_crash_in_a_command_is_a_traceback_and_exit_code_1(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("rusak di dalam perintah")

    monkeypatch.setattr(server.cli, "init_kelurahan", crash)
    done = berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: rusak di dalam perintah" in done.stderr


def test_environment_and_stdin_reach_the_command_and_leave_no_trace(tmp_path):
    folder = tmp_path / "env"
    done = berjasa("init", "--kelurahan", "73.71.01.1001", env={"BERJASA_DATA_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert (folder / "kelurahan.db").exists()
    assert "BERJASA_DATA_DIR" not in os.environ
    added = berjasa("user", "add", "rina", "--role", "admin", "--password-stdin",
                    stdin="rahasia-panjang\n", data_dir=folder)
    assert added.returncode == 0 and added.stdout.strip().splitlines()[-1] == "rina"
