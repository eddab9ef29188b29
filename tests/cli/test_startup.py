"""cli: asking for help loads no heavy library. Every ``berjasa`` command starts a
Python process; on the kelurahan laptops importing Flask, psycopg, openpyxl or Faker
for a command that does not use them cost seconds (berjasa.cli.COMMANDS imports a
command's module only when asked for; the modules import those libraries inside the
commands that use them). Not timed: the test looks at what was imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("flask", "werkzeug", "marshmallow", "flask_smorest", "openpyxl", "psycopg",
         "cryptography", "faker", "rich", "zstandard", "requests", "waitress", "apscheduler")

# Runs the entry point's click group in a fresh interpreter, then prints which of
# the given top-level packages ended up in sys.modules.
PROBE = """
import json, sys
from berjasa.cli import main
heavy = json.loads(sys.argv[1])
try:
    main(sys.argv[2:], prog_name="berjasa")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "loaded": sorted(name for name in heavy if name in sys.modules)}))
"""


def run_probe(args: list[str]) -> tuple[int, list[str], str]:
    """Exit code, the heavy packages imported, and the help text of ``berjasa ARGS``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    answer = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY), *args],
                            capture_output=True, text=True, timeout=120, env=env, check=False)
    assert answer.returncode == 0, answer.stderr[-3000:]
    *help_lines, last = answer.stdout.strip().splitlines()
    result = json.loads(last)
    return result["code"], result["loaded"], "\n".join(help_lines)


def run_python(code: str):
    """What a fresh interpreter running ``code`` prints, read as JSON."""
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["central", "--help"], ["init", "--help"],
                                  ["sync", "status", "--help"]], ids=" ".join)
def test_help_imports_no_heavy_library(args):
    code, loaded, text = run_probe(args)
    assert code == 0
    assert "Penggunaan:" in text  # the help really was printed
    assert loaded == []


@pytest.mark.slow
def test_the_probe_sees_a_heavy_import(tmp_path):
    """The probe can fail: a command that needs psycopg to run (central init on an
    unreachable PostgreSQL) shows it in the list."""
    code, loaded, _ = run_probe(["central", "init", "--database",
                                 "postgresql://nobody@127.0.0.1:1/none", "--data-dir",
                                 str(tmp_path / "central")])
    assert code != 0
    assert "psycopg" in loaded


@pytest.mark.slow
def test_listing_the_commands_imports_no_part():
    """``berjasa``'s group lists its commands from berjasa.cli.COMMANDS without
    importing a part's commands (server, central, sync) or the demo; only the
    settings declarations the entry point registers (berjasa.cli.declare_settings)."""
    probe = ("import json, sys, click\n"
             "from berjasa.cli import main\n"
             "names = main.list_commands(click.Context(main))\n"
             "parts = sorted(m for m in sys.modules if m.split('.')[0] in ('server', 'central', 'sync')"
             " or m == 'berjasa.demo')\n"
             "print(json.dumps([names, parts]))\n")
    names, parts = run_python(probe)
    assert "central" in names and "init" in names
    assert set(parts) <= {"central", "central.settings", "sync", "sync.agent_settings"}


def test_every_listed_command_loads_under_its_name():
    """A name in COMMANDS points at the command of that name (a typo in the table
    would show one command under another's name)."""
    import click

    from berjasa.cli import COMMANDS, main

    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        assert command.name == name


@pytest.mark.slow
def test_central_on_sqlite_imports_no_psycopg_nor_flask(tmp_path):
    """psycopg is for a PostgreSQL central only (central.storage.db imports it when
    one is opened), Flask and marshmallow for its web pages: central commands on
    SQLite do without them (one that records to the trail too)."""
    folder = str(tmp_path / "central")
    for args in (["central", "init", "--data-dir", folder],
                 ["central", "migrate", "--data-dir", folder],
                 ["central", "device", "add", "--kelurahan", "73.71.01.1001", "--data-dir", folder]):
        code, loaded, _ = run_probe(args)
        assert code == 0, args
        assert not {"psycopg", "flask", "marshmallow"} & set(loaded), (args, loaded)


@pytest.mark.slow
def test_the_kelurahan_app_loads_the_sync_agent_only_when_asked():
    """``serve`` builds server.app; the agent (requests, APScheduler) comes in only
    when a supervisor presses "sync now" (server/api/sync_status.py): on an old
    laptop that is a third of the server's start."""
    probe = ("import json, sys\n"
             "import server.app\n"
             "print(json.dumps(sorted(m for m in ('requests', 'apscheduler', 'sync.agent')"
             " if m in sys.modules)))\n")
    assert run_python(probe) == []
