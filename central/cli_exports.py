"""``berjasa central export``: the BPJS registration file, the BPKAD payment list,
rejections, progress or all data, as CSV or XLSX (central.exports).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from berjasa.commandline import by_option, data_dir_option, emit, json_option
from berjasa.os_errors import os_error_text
from central.cli_db import central_db


def _export_format(fmt: str | None, output: Path | None) -> str:
    """``--format``, else the output's suffix (.xlsx or .csv), else csv; a format
    that contradicts the suffix (an XLSX named .csv) is refused."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if fmt is None:
        return suffix if suffix in ("csv", "xlsx") else "csv"
    if suffix in ("csv", "xlsx") and suffix != fmt:
        raise click.ClickException(f"--format {fmt} tidak cocok dengan nama {output.name}: "
                                   f"pakai --format {suffix} atau akhiran .{fmt}")
    return fmt


def _as_date(value: str | None) -> date | None:
    """A calendar date typed YYYY-MM-DD, or a usage error saying so in Indonesian."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} bukan tanggal yang ada; tulis YYYY-MM-DD, "
                                 f"misalnya 2026-11-27", param_hint="'--as-of'") from None


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Format berkas (bawaan: dari akhiran --output, .xlsx atau .csv; selain itu csv).")
@click.option("--what", type=click.Choice(["bpjs-registration", "payment-list", "rejections",
                                           "progress", "all"]), required=True)
@click.option("--month", default=None, metavar="YYYY-MM",
              help="Daftar iuran: bulan yang dibayar (bawaan: bulan ini).")
@click.option("--draft", is_flag=True, default=False,
              help="Daftar iuran: tampilkan walau ada band/tarif belum terkonfirmasi, bertanda DRAF.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas tujuan (tanpa ini, CSV ditulis ke stdout).")
@click.option("--as-of", default=None, metavar="YYYY-MM-DD", callback=lambda c, p, v: _as_date(v),
              help="Bentuk lama --month: bulan dari tanggal ini (YYYY-MM-DD).")
@by_option()
@data_dir_option
@json_option
def export_command(fmt: str, what: str, month: str | None, draft: bool, output: Path | None,
                   as_of: Any, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Ekspor berkas pendaftaran BPJS, daftar iuran BPKAD, penolakan, capaian, atau semua data.

    Contoh: berjasa central export --format xlsx --what payment-list --month 2025-10 --output iuran.xlsx
    """
    import sys

    from central.export_bpjs import held_line, unconfirmed_line
    from central.export_fields import ExportError
    from central.exports import MONTH_EXPORTS, FilterError, check_filters, export
    from central.holds import payment_line
    from central.trail import cli_actor

    fmt = _export_format(fmt, output)
    if fmt == "xlsx" and output is None:
        raise click.ClickException("format xlsx perlu --output BERKAS.xlsx")
    try:  # the download's rules (central.downloads), in one place
        if what not in MONTH_EXPORTS and (month is not None or as_of is not None):
            # design.md gives every export [--month]: checked as a month, then set
            # aside out loud (the web page offers it for the payment list only)
            check_filters(next(iter(MONTH_EXPORTS)), month=month, as_of=as_of)
            click.echo(f"Catatan: --{'month' if month is not None else 'as-of'} tidak dipakai "
                       f"untuk --what {what}.", err=True)
            month = as_of = None
        filters = check_filters(what, month=month, draft=draft or None, as_of=as_of)
    except FilterError as exc:
        raise click.ClickException(f"--{exc.field.replace('_', '-')}: {exc}") from exc
    month = filters.get("month")
    from central.downloads import record_cli_export

    actor = cli_actor(by)
    with central_db(data_dir) as (db, settings, _):
        try:
            result = export(db, what, fmt, output if output is not None else sys.stdout.buffer,
                            actor.username, month=month, draft=draft,
                            record=lambda made: record_cli_export(db, made, actor),
                            contributions_file=settings["central_contributions_file"] or None,
                            targets_file=settings["central_targets_file"] or None,
                            columns_file=settings["central_export_columns_file"] or None,
                            work_categories=list(settings["work_categories"]), settings=settings)
        except ExportError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            target = output or "stdout"
            raise click.ClickException(
                f"ekspor gagal: tidak dapat menulis {target}: {os_error_text(exc)}") from exc
    held = held_line(result.filters) if what == "bpjs-registration" else (
        payment_line(result.filters, result.filters["month"]) if what == "payment-list" else None)
    if held:  # on stderr: stdout may be the CSV itself
        click.echo(held, err=True)
    for note in result.notes:  # what the file's header says besides (a final list made again)
        click.echo(note, err=True)
    unconfirmed = unconfirmed_line(result.filters) if what == "bpjs-registration" else None
    if unconfirmed:
        click.echo(unconfirmed, err=True)
    claims = result.filters.get("held_kpj_claims")
    if claims:
        need = result.filters.get("kpj_claims_need_bpjs_list") or 0
        then = (f" {need} di antaranya menunggu daftar peserta BPJS yang lebih baru: impor daftar "
                "peserta BPJS terbaru (berjasa central import bpjs-participants); data yang "
                "tercantum dengan KPJ yang sama menjadi terdaftar, sisanya menjadi temuan "
                "untuk verifikator." if need else
                " Daftar peserta BPJS yang berlaku sudah memeriksanya: menunggu keputusan "
                "verifikator atas temuannya.")
        click.echo(f"Catatan: {claims} data tidak dimasukkan: laptop kelurahannya mencatatnya sudah "
                   f"terdaftar di BPJS (KPJ), setelah pusat dipulihkan dari cadangan.{then}",
                   err=True)
    if output is None:
        return
    if not as_json:
        click.echo(f"Ekspor {what} ({fmt}): {result.rows} baris, SHA-256 {result.sha256}.")
    emit(result.summary(), as_json, str(output))
