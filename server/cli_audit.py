"""``berjasa audit verify`` and ``berjasa audit export --since DATE``: the
auditor's commands over the kelurahan's hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from berjasa.audit import cli_actor
from berjasa.commandline import (
    data_dir_and_settings,
    data_dir_option,
    emit,
    json_option,
    report_chain,
)
from berjasa.database import connect, transaction
from berjasa.local_time import WITA, day_start_utc, wita
from berjasa.os_errors import os_error_text
from berjasa.paths import kelurahan_db_path
from berjasa.spreadsheet import NUMBER, TEXT, Column, write_export
from server import trail
from server.storage.audit import record_audit_entry
from server.storage.audit_values import prove

# The CSV goes through berjasa.spreadsheet like every export: UTF-8 with BOM, no
# cell a spreadsheet would run as a formula; `audit verify` on the database
# remains the proof of integrity.
# `at` is the chained UTC time (the hashes are recomputed from it); `at_wita`, not
# chained, is the same moment in Makassar time, as the pages and --since show it.
CHAINED = ("seq", "at", "at_wita", "actor", "role", "action", "record_id", "changes", "reason",
           "address", "prev_hash", "entry_hash")
# With --with-values, not chained: the personal values still held beside the entry
# (server.trail.export_rows); empty once the person is erased; `held_mismatch` names
# the fields whose held value does not match the chain (left out of the other two).
EXPORT_COLUMNS = (*CHAINED, "held_values", "held_reason", "held_mismatch")
SHEET_COLUMNS = [Column(name, name, NUMBER if name == "seq" else TEXT) for name in EXPORT_COLUMNS]


def _open(data_dir: Path | None):
    """The kelurahan database, or one clear line when there is none."""
    folder, _ = data_dir_and_settings(data_dir)
    path = kelurahan_db_path(folder)
    if not path.exists():
        raise click.ClickException(f"Belum ada database di {folder}; jalankan `berjasa init` dulu.")
    return connect(path)


def parse_since(text: str) -> str:
    """A date (YYYY-MM-DD: from 00:00 that day in Makassar, as the pages show times)
    or an ISO time (WITA when it names no offset) as the lower bound of ``at``, in
    the UTC text the stored stamps compare with."""
    try:
        if len(text) == 10:
            return day_start_utc(dt.date.fromisoformat(text))
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter("pakai tanggal YYYY-MM-DD, mis. 2025-10-01") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WITA)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()


@click.group("audit")
def audit_group() -> None:
    """Jejak audit: periksa rantai hash, ekspor untuk auditor."""


@audit_group.command("verify")
@data_dir_option
@json_option
def verify_command(data_dir: Path | None, as_json: bool) -> None:
    """Hitung ulang rantai hash; keluar 0 bila utuh, 1 dengan menyebut entri rusak pertama.

    Contoh: berjasa audit verify --data-dir ./data
    """
    conn = _open(data_dir)
    try:
        checked, broken = trail.verify(conn)
        restores = trail.restores(conn)
    finally:
        conn.close()
    report_chain(checked, broken, as_json, restores=restores, notes=trail.restore_lines(restores))


@audit_group.command("export")
@click.option("--since", "since", required=True, metavar="DATE",
              help="Hari pertama yang diekspor (YYYY-MM-DD, waktu Makassar/WITA).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas CSV tujuan (bawaan: stdout).")
@click.option("--with-values", is_flag=True,
              help="Tambahkan nilai pribadi yang masih disimpan (kolom held_values, held_reason). "
                   "Berkas itu berisi data pribadi yang tidak ikut terhapus bila orangnya "
                   "kelak dihapus: simpan dan musnahkan sesuai aturan.")
@data_dir_option
@json_option
def export_command(since: str, output: Path | None, with_values: bool, data_dir: Path | None,
                   as_json: bool) -> None:
    """Tulis entri audit sejak TANGGAL sebagai CSV untuk auditor (ekspornya sendiri tercatat di audit).

    Contoh: berjasa audit export --since 2025-10-01 --output audit-oktober.csv
    """
    lower = parse_since(since)
    conn = _open(data_dir)
    try:
        # Write first, then audit: the trail must not record an export that failed.
        # The file is complete or absent (temporary file renamed into place).
        try:
            columns = SHEET_COLUMNS if with_values else SHEET_COLUMNS[:len(CHAINED)]
            written = write_export("csv", columns, trail.export_rows(conn, since=lower,
                                                                     values=with_values),
                                   output if output is not None else sys.stdout.buffer)
        except OSError as exc:
            raise click.ClickException(
                f"Tidak bisa menulis {output or 'stdout'}: {os_error_text(exc)}") from exc
        with transaction(conn):
            record_audit_entry(conn, cli_actor("auditor"), "audit.export", None,
                               {"since": [None, lower], "entries": [None, written.rows],
                                "sha256": [None, written.sha256],
                                "with_values": [None, with_values],
                                "output": [None, str(output) if output else "stdout"]})
    finally:
        conn.close()
    if output is None:
        return
    emit({"entries": written.rows, "output": str(output), "since": lower,
          "sha256": written.sha256}, as_json, str(output))


@audit_group.command("prove")
@click.option("--seq", type=click.IntRange(min=1), required=True, help="Nomor urut entri.")
@click.option("--field", required=True, help="Nama kolom (misalnya full_name, address, _reason).")
@click.option("--value", required=True, help="Nilai yang dibuktikan (seperti tersimpan, misalnya +62812...).")
@data_dir_option
@json_option
def prove_command(seq: int, field: str, value: str, data_dir: Path | None, as_json: bool) -> None:
    """Buktikan bahwa entri audit SEQ mencatat NILAI untuk KOLOM (keluar 0), atau tidak (keluar 1).

    Rantai audit menyimpan tag HMAC-SHA256 dari nilai pribadi, bukan nilainya
    (docs/privacy.md): dengan nilai yang diberikan, tag dihitung ulang memakai kunci
    folder data lalu dibandingkan. Tetap berlaku setelah penghapusan.

    Contoh: berjasa audit prove --seq 42 --field address --value "Jl. Somba Opu No. 5"
    """
    import json

    conn = _open(data_dir)
    try:
        answer = prove(conn, seq, field, value)
        if answer.get("found") and not answer["proven"]:
            try:  # a number or an object, typed as JSON (monthly_income, consent)
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if parsed is not None and not isinstance(parsed, str):
                answer = prove(conn, seq, field, parsed)
    finally:
        conn.close()
    if not answer["found"]:
        raise click.ClickException(f"Tidak ada entri audit seq={seq}.")
    if as_json:
        emit(answer, True)
    elif answer["proven"]:
        sides = {"old": "nilai lama", "new": "nilai baru"}
        at = wita(answer["at"], seconds=True)
        click.echo(f"TERBUKTI: entri {seq} ({answer['action']}, {answer['actor']}, {at}) "
                   f"mencatat nilai ini sebagai {', '.join(sides[s] for s in answer['matches'])} "
                   f"untuk {field}.")
    else:
        click.echo(f"TIDAK COCOK: entri {seq} tidak mencatat nilai ini untuk {field}.")
    if not answer["proven"]:
        sys.exit(1)
