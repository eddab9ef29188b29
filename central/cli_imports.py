"""``berjasa central import KIND FILE`` and ``berjasa central recheck``: the program's
lists in (DTSEN, BPJS participants, the 2024 cohort, JHT; central.imports) and every
record at central evaluated again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from berjasa.commandline import by_option, data_dir_option, emit, json_option
from central.cli_db import central_db


@click.command("import")
@click.argument("kind", type=click.Choice(["dtsen", "bpjs-participants", "cohort", "jht"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Ganti data lama walau baris yang ditolak lebih banyak dari yang diterima.")
@by_option()
@data_dir_option
@json_option
def import_command(kind: str, file: Path, force: bool, by: str | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Impor ekstrak DTSEN, daftar peserta BPJS, kohort 2024, atau daftar JHT (NIK dan
    bulan mulai JHT dibayar kota) (CSV berbaris judul, seperti disimpan Excel). Data di
    pusat langsung dinilai ulang.

    Contoh: berjasa central import dtsen dtsen_makassar.csv --json
    """
    from central.import_reading import ImportFileError
    from central.imports import ImportRefused, import_file
    from central.trail import cli_actor, record
    from central.trail_targets import consequences, mark_consequences

    if not file.exists():
        raise click.ClickException(f"berkas tidak ada: {file}")
    actor = cli_actor(by)
    with central_db(data_dir) as (db, settings, folder), _progress(as_json, file.name) as progress:
        try:
            # one transaction: the import, what it did to each record (the entry's
            # targets: registered with a KPJ, rejected, findings...) and its entry
            with db.transaction():
                db.lock_ingest()
                mark = mark_consequences(db)
                summary = import_file(db, file, kind, folder, settings, force=force,
                                      progress=progress, imported_by=actor.username)
                record(db, actor, f"import.{kind}", file.name, summary,
                       targets=consequences(db, mark))
        except (ImportFileError, ImportRefused) as exc:
            raise click.ClickException(str(exc)) from exc
    rechecked = summary.pop("rechecked")
    statuses = rechecked.get("bpjs_status")
    if statuses:  # registered workers the list shows no longer active (docs/central.md)
        summary["bpjs_not_active"] = statuses
    if rechecked.get("bpjs_before_file"):  # participants since before central's file
        summary["bpjs_before_file"] = rechecked["bpjs_before_file"]
    if as_json:
        emit(summary, as_json)
        return
    shown = f" (lihat {summary['rejects_file']})" if summary["rejected"] else ""
    click.echo(f"Dibaca {summary['read']}, diterima {summary['accepted']}, ditolak "
               f"{summary['rejected']}{shown}; snapshot {summary['snapshot_id']}; "
               f"{rechecked['changed']} data di pusat berubah.")
    if summary.get("unreadable_held"):
        click.echo(f"{summary['unreadable_held']} baris yang ditolak memuat NIK data di pusat: aturan "
                   f"yang membaca berkas ini \"belum diketahui\" untuk data itu (tidak ditolak, tidak "
                   f"masuk berkas pendaftaran BPJS) sampai berkas yang diperbaiki diimpor ulang.")
    if statuses and statuses["raised"]:
        click.echo(f"{statuses['raised']} pekerja terdaftar tercantum dengan status tidak aktif "
                   "(bukan peserta aktif): temuan untuk verifikator; iurannya ditahan sampai "
                   "diputus (berjasa central findings --kind bpjs_not_active).")
    if rechecked.get("bpjs_before_file"):
        click.echo(f"{rechecked['bpjs_before_file']} pekerja terdaftar menurut daftar BPJS sudah "
                   "menjadi peserta sebelum pusat memasukkannya ke berkas pendaftaran (kepesertaan "
                   "pihak lain?): temuan untuk verifikator; iurannya ditahan sampai diputus "
                   "(berjasa central findings --kind bpjs_before_file).")
    if statuses and statuses["closed"]:
        click.echo(f"{statuses['closed']} temuan status tidak aktif ditutup: daftar ini menunjukkan "
                   "pesertanya aktif lagi, iurannya dibayar lagi.")
    if summary.get("unknown_values"):
        from central.import_patterns import describe_unknown
        click.echo(f"Nilai tidak dikenal (barisnya ditolak): {describe_unknown(summary['unknown_values'])}")
    if summary.get("sheets_not_read"):
        click.echo(f"Dibaca lembar \"{summary['sheet']}\"; lembar lain tidak dibaca: "
                   + ", ".join(_sheet(s) for s in summary["sheets_not_read"]))
    if summary.get("cohort_duplicates"):
        click.echo(f"{summary['cohort_duplicates']} data di pusat tampak sama dengan pekerja kohort "
                   f"2024 ber-NIK lain: temuan untuk verifikator (data itu menunggu, tidak masuk "
                   f"berkas pendaftaran BPJS).")
    if summary["unused_columns"]:
        click.echo(f"Kolom tidak dipakai: {', '.join(summary['unused_columns'])} (bukan kolom "
                   f"{kind}; periksa nama kolomnya bila isinya perlu)")
    click.echo(summary["rejects_file"])  # the value, alone on the last line


def _sheet(sheet: dict[str, Any]) -> str:
    """``"Petunjuk" (3 baris terisi)``, ``"Rekap" (tersembunyi, 12 baris terisi)``."""
    name = "".join(c if c.isprintable() else " " for c in sheet["sheet"])  # shown on a terminal
    if not sheet["rows"]:
        return f"\"{name}\" ({'tersembunyi, ' if sheet['hidden'] else ''}kosong)"
    return f"\"{name}\" ({'tersembunyi, ' if sheet['hidden'] else ''}{sheet['rows']} baris terisi)"


@contextmanager
def _progress(as_json: bool, label: str) -> Iterator[Any]:
    """A progress bar (rich) on a terminal; nothing when piped or with --json."""
    import sys
    if as_json or not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(f"Membaca {label}", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
        yield update


@click.command("recheck")
@by_option()
@data_dir_option
@json_option
def recheck_command(by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Nilai ulang semua data di pusat (setelah parameter berubah atau impor baru);
    data duplikat yang NIK-nya tidak lagi dipegang data aktif dinilai ulang (yang
    paling awal memegangnya). Perubahan dikabarkan ke kelurahan pada sinkronisasi
    berikutnya.

    Contoh: berjasa central recheck --json
    """
    from berjasa.eligibility import ParameterError
    from central.recheck import recheck
    from central.trail import cli_actor, record
    from central.trail_targets import consequences, mark_consequences
    from central.waiting import judge_waiting

    with central_db(data_dir) as (db, settings, _):
        try:
            with db.transaction():
                db.lock_ingest()
                mark = mark_consequences(db)
                summary = recheck(db, settings)
                # records answered duplicate of a record that no longer holds the NIK
                summary["waiting"] = judge_waiting(db, settings, None, cli_actor(by))
                record(db, cli_actor(by), "recheck", None, summary,
                       targets=consequences(db, mark))
        except ParameterError as exc:
            raise click.ClickException(str(exc)) from exc
    waiting = summary["waiting"]
    emit(summary, as_json, f"Dievaluasi {summary['evaluated']}: {summary['rejected']} ditolak, "
         f"{summary['accepted']} diterima kembali, {summary['registered']} terdaftar, "
         f"{summary['eligibility_changed']} hasil aturan berubah; {waiting['judged']} data "
         f"duplikat yang NIK-nya sudah lepas dinilai ulang ({waiting['accepted']} diterima, "
         f"{waiting['rejected']} ditolak aturan).")
