"""cli: every command with missing arguments, wrong types, nonexistent or unreadable
files, bad URLs and data folders that were never initialised. Each must exit
non-zero with one clear ``Galat:`` line and no traceback.

Starting Python costs about a second, so most cases run through one driver
subprocess that calls the ``berjasa`` click group once per case (standalone mode,
exactly as the console script does) and reports exit code and output per case; a
few run as real ``python -m berjasa`` subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.language import english_words
from tests.helpers import BERJASA

DRIVER = r"""
import contextlib, io, json, sys, traceback
from berjasa.cli import main
results = []
for case in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    sys.stdin = io.StringIO(case.get("stdin", ""))
    code = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main.main(args=case["args"], prog_name="berjasa", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = "traceback"
    results.append({"args": case["args"], "code": code, "out": out.getvalue(),
                    "err": err.getvalue()})
print(json.dumps(results))
"""


def run_cases(cases: list[dict], env: dict) -> list[dict]:
    answer = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(cases),
                            capture_output=True, text=True, timeout=300, env=env, check=False)
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout.strip().splitlines()[-1])


def assert_clear_refusal(result: dict) -> None:
    """Non-zero, no traceback, one line starting ``Galat:`` on stderr, no English."""
    text = result["out"] + result["err"]
    assert result["code"] not in (0, "traceback"), result
    assert "Traceback" not in text, result
    errors = [line for line in result["err"].splitlines() if line.startswith("Galat:")]
    assert len(errors) == 1, result
    assert len(errors[0]) > len("Galat: ") + 5, result
    prose = [line for line in text.splitlines() if not line.startswith("{")]  # JSON logs
    assert not english_words("\n".join(prose)), result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-files")
    made = {
        "binary": b"\x00\xff\xfe\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
        "latin1": "nik,nama\n7371010101900001,Andi Mappasessu \xe9\xe8\n".encode("latin-1"),
        "empty": b"",
        "header_only": b"nik,kk_number,full_name,birth_date,kelurahan_code,desil\n",
        "wide": (",".join(f"c{i}" for i in range(100_000)) + "\n"
                 + ",".join("1" for _ in range(100_000)) + "\n").encode(),
        "no_nik": b"nama,desil\nAndi,1\n",
        "garbage_backup": b"not a backup" * 100,
    }
    paths = {}
    for name, content in made.items():
        paths[name] = folder / f"{name}.csv"
        paths[name].write_bytes(content)
    paths["missing"] = folder / "missing.csv"
    paths["a_dir"] = folder
    return paths


@pytest.mark.slow
def test_every_command_refuses_bad_input_with_one_error_line(tmp_path, files, data_dir):
    fresh = tmp_path / "never-initialised"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    env = {**os.environ, "BERJASA_DATA_DIR": str(fresh), "PYTHONIOENCODING": "utf-8"}
    kel = ["--data-dir", str(data_dir)]
    central_dir = tmp_path / "central"
    cen = ["--data-dir", str(central_dir)]
    csv_cases = []
    for kind in ("dtsen", "bpjs-participants"):
        for name in ("missing", "binary", "latin1", "empty", "wide", "no_nik", "a_dir"):
            if kind == "bpjs-participants" and name == "latin1":
                continue  # Windows-1252 is read (design.md round 2): a valid participant list
            csv_cases.append(["central", "import", kind, str(files[name]), *cen])
    refused = [
        # init
        ["init"], ["init", "--kelurahan"], ["init", "--kelurahan", "99.99.99.9999"],
        ["init", "--kelurahan", "<script>"], ["init", "--kelurahan", "73.71.01.1001",
                                              "--data-dir", str(a_file)],
        # user
        ["user", "add"], ["user", "add", "x", "--role", "root", *kel],
        ["user", "add", "budi", "--role", "admin"],  # uninitialised folder
        ["user", "add", "bu di", "--role", "admin", "--password-stdin", *kel],
        ["user", "add", "budi", "--role", "admin", "--password-stdin", *kel],  # empty stdin
        # serve
        ["serve", "--port", "abc"], ["serve", "--port", "-1", *kel],
        ["serve"],  # uninitialised folder
        # sync
        ["sync", "run", "--once"], ["sync", "register", "--code", "X"],
        ["sync", "register", "--central", "not a url", "--code", "X", *kel],
        ["sync", "register", "--central", "ftp://pusat.example", "--code", "X", *kel],
        ["sync", "register", "--central", "http://127.0.0.1:1", "--code", "X", *kel],
        ["sync", "register", "--central", "http://127.0.0.1:1", "--code", "X"],
        ["sync", "run", "--once", *kel],  # not registered
        # central
        ["central", "init", "--database", "mysql://x/y", *cen],
        ["central", "init", "--database", "sqlite:///" + str(a_file) + "/x.db", *cen],
        ["central", "init", "--database", "postgresql://nobody@127.0.0.1:1/x", *cen],
        ["central", "device", "add", "--kelurahan", "73.71.01.1001"],  # central not initialised
        ["central", "device", "add", *cen],
        ["central", "export", "--what", "all"],
        ["central", "export", "--what", "nothing", *cen],
        ["central", "export", "--what", "all", "--format", "pdf", *cen],
        ["central", "export", "--what", "payment-list", "--as-of", "2025-13-45", *cen],
        ["central", "export", "--what", "payment-list", "--as-of", "2026-02-30", *cen],
        ["central", "findings", "--kind", "bukan_jenis", *cen],
        ["demo", "--enrollments", "-5", "--once"],
        # backup / restore / audit / privacy
        ["backup"], ["backup", str(tmp_path / "b.bin"), "--passphrase-stdin"],
        ["restore", str(files["missing"]), "--passphrase-stdin", *kel],
        ["restore", str(files["garbage_backup"]), "--passphrase-stdin", *kel],
        ["restore", str(files["empty"]), "--passphrase-stdin", "--data-dir", str(fresh)],
        ["audit", "verify"], ["audit", "export", *kel],
        ["audit", "export", "--since", "kemarin", *kel],
        ["audit", "export", "--since", "2025-01-01", "--output", str(a_file / "a.csv"), *kel],
        ["backup", str(a_file / "b.bin"), "--passphrase-stdin", *kel],
        ["central", "serve", "--port", "70000", *cen],
        ["privacy", "export"], ["privacy", "export", "123", *kel],
        ["privacy", "export", "7371010101900001"],
        ["privacy", "erase", "7371010101900001", *kel],
        ["privacy", "erase", "7371010101900001", "--reason", "", *kel],
        ["nonexistent-command"],
    ]
    cases = [{"args": args, "stdin": "kata sandi yang panjang sekali\n" if "backup" in args
              or "restore" in args else ""} for args in refused]
    cases.insert(cases.index({"args": ["central", "device", "add", "--kelurahan",
                                       "73.71.01.1001"], "stdin": ""}) + 1,
                 {"args": ["central", "init", *cen]})
    cases += [{"args": args} for args in csv_cases]
    cases += [{"args": ["central", "device", "add", "--kelurahan", code, *cen]}
              for code in ("99.99.99.9999", "<b>x</b>", "", "ᨒᨚᨈᨑ")]
    cases += [{"args": ["central", "device", "revoke", "dev-nothing", *cen]}]
    # the restore mark's reason: missing, blank, too long, invisible characters
    cases += [{"args": ["central", "restored", *reason, *cen]}
              for reason in ([], ["--reason", " "], ["--reason", "x" * 600],
                             ["--reason", "cadangan\u202e 1 Nov"])]
    # a header with no rows replaces nothing and says so (issue 9: nothing accepted -> non-zero)
    header_only = ["central", "import", "dtsen", str(files["header_only"]), "--json", *cen]
    cases += [{"args": header_only}]  # in the same driver: a second Python costs a second
    results = run_cases(cases, env)
    failures = []
    for result in results:
        if result["args"] == ["central", "init", *cen]:
            assert result["code"] == 0, result
            continue
        if result["args"] == header_only:
            assert result["code"] != 0 and "baris judul" in result["err"], result
            continue
        try:
            assert_clear_refusal(result)
        except AssertionError as exc:
            failures.append(str(exc)[:600])
    assert not failures, "\n\n".join(failures)
    assert not (fresh / "kelurahan.db").exists()
    assert header_only in [result["args"] for result in results]


@pytest.mark.slow
def test_real_subprocess_errors_are_one_line(tmp_path):
    """The console entry point itself (python -m berjasa): a usage error and a
    user mistake deep inside a command."""
    env = {**os.environ, "BERJASA_DATA_DIR": str(tmp_path / "none")}
    for args in (["central", "import", "dtsen", str(tmp_path / "missing.csv")],
                 ["user", "add", "budi", "--role", "admin"]):
        answer = subprocess.run([*BERJASA, *args], capture_output=True,
                                text=True, timeout=60, env=env, check=False)
        assert answer.returncode != 0
        assert "Traceback" not in answer.stderr
        assert [line for line in answer.stderr.splitlines() if line.startswith("Galat:")], \
            answer.stderr
