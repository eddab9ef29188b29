"""``--by NAME`` on every central command that writes the trail (both backends): the
entry's actor is ``cli:NAME`` (role ``cli``), and the imports row and the export
audit name the same; a name with a control character is one usage line before
anything is done (h2 #11). A command added later without ``--by`` fails the walk."""

from __future__ import annotations

import json

import click

from central.cli import central_group

from .test_office_cli import _init, _trail, berjasa

BY = "Rina Operator"
# The commands that write nothing to the trail: they print no worker's data and change
# nothing (docs/central.md "Audit trail"), or run a server.
READ_ONLY = {"serve", "dukcapil-standin", "key show", "device list", "user list", "audit verify"}


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out.update(_commands(command, f"{prefix}{name} "))
        else:
            out[f"{prefix}{name}"] = command
    return out


def test_every_central_command_that_writes_the_trail_takes_by():
    without = {name for name, command in _commands(central_group).items()
               if not any("--by" in p.opts for p in command.params)}
    assert without == READ_ONLY


def test_the_trail_names_the_person_given_with_by(database_url, tmp_path):
    data = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, "--by", BY, data_dir=data)
    assert [(e["action"], e["actor"], e["role"]) for e in _trail(database_url)] == [
        ("schema.migrate", f"cli:{BY}", "cli")]
    seq = _trail(database_url)[-1]["seq"]
    listed = tmp_path / "bpjs.csv"
    listed.write_text("nik,kpj_number,status\n7371014101900001,25012345678,Aktif\n", encoding="utf-8")
    steps = [
        ("import", "bpjs-participants", str(listed)),
        ("recheck",),
        ("export", "--what", "payment-list", "--output", str(tmp_path / "iuran.csv")),
        ("device", "add", "--kelurahan", "73.71.01.1001"),
        ("device", "revoke", "73.71.01.1001"),
        ("key", "rotate"),
        ("verify",),
        ("findings",),
        ("duplicates",),
    ]
    for step in steps:
        berjasa("central", *step, "--by", BY, data_dir=data)
    berjasa("central", "user", "add", "budi", "--role", "verifier", "--password-stdin", "--by", BY,
            data_dir=data, input="sandi-kantor-pusat-1\n")
    for step in (("disable", "budi"), ("enable", "budi")):
        berjasa("central", "user", *step, "--by", BY, data_dir=data)
    berjasa("central", "user", "reset-password", "budi", "--password-stdin", "--by", BY,
            data_dir=data, input="sandi-kantor-pusat-2\n")
    entries = [e for e in _trail(database_url) if e["seq"] > seq]
    assert [e["action"] for e in entries] == [
        "import.bpjs-participants", "recheck", "export.payment-list", "device.code",
        "device.code_cancel", "key.rotate", "verify.run", "view.findings", "view.duplicates",
        "user.create", "user.disable", "user.enable", "user.reset_password"]
    assert {(e["actor"], e["role"]) for e in entries} == {(f"cli:{BY}", "cli")}

    from central.storage.db import Database

    db = Database(database_url, data_dir=data)
    try:
        assert db.query("SELECT imported_by FROM imports") == [{"imported_by": f"cli:{BY}"}]
        assert db.query("SELECT actor FROM export_audit") == [{"actor": f"cli:{BY}"}]
    finally:
        db.close()


def test_a_bad_name_is_one_line_and_does_nothing(database_url, tmp_path):
    data = _init(database_url, tmp_path)
    before = len(_trail(database_url))
    out = tmp_path / "semua.csv"
    done = berjasa("central", "export", "--what", "all", "--output", str(out), "--by",
                   "Rina\u202eadmin", data_dir=data, check=False)
    assert done.returncode == 2 and "--by" in done.stderr and "U+202E" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    assert len(_trail(database_url)) == before
    answer = json.loads(berjasa("central", "export", "--what", "all", "--output", str(out), "--json",
                                data_dir=data).stdout)  # without --by: the OS account, as before
    assert answer["rows"] == 0 and _trail(database_url)[-1]["actor"].startswith("cli:")
