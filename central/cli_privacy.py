"""``berjasa central privacy erase NIK --reason TEXT``: erasure at central (thin:
parse, call central.privacy, print)."""

from __future__ import annotations

from pathlib import Path

import click

from berjasa.commandline import data_dir_option, emit, json_option, problem_line
from berjasa.local_time import wita
from berjasa.problems import Problem
from central.cli import central_db, central_group


@central_group.group("privacy")
def central_privacy_group() -> None:
    """Permintaan pemilik data (UU PDP) di registri pusat."""


@central_privacy_group.command("erase")
@click.argument("nik")
@click.option("--reason", required=True, help="Alasan (nomor surat permohonan), disimpan di audit.")
@click.option("--by", "actor", default=None, help="Nama operator untuk audit (bawaan cli:USER).")
@data_dir_option
@json_option
def central_erase_command(nik: str, reason: str, actor: str | None, data_dir: Path | None,
                          as_json: bool) -> None:
    """Hapus semua data satu NIK di pusat; kelurahan menghapus salinannya pada sinkronisasi berikutnya.

    Contoh: berjasa central privacy erase 7371014101900001 --reason "Surat 12/XI/2026"
    """
    from central.privacy import erase_nik
    from central.trail import cli_actor

    with central_db(data_dir) as (db, _, folder):
        try:
            answer = erase_nik(db, folder, nik, reason, cli_actor(actor))
        except Problem as exc:
            raise click.ClickException(problem_line(exc)) from exc
    if not as_json:
        if answer["already_erased"]:
            click.echo(f"NIK ini sudah dihapus sebelumnya ({wita(answer['erased_at'], seconds=True)}).")
        else:
            places = ", ".join(sorted({r["kelurahan_code"] for r in answer["erased"]}))
            click.echo(f"Dihapus di pusat: {len(answer['erased'])} data; kelurahan {places} "
                       "menghapus salinannya pada tarikan berikutnya.")
            for item in answer["erased"]:
                if item["registration_exported_at"]:
                    click.echo(f"Perhatian: data {item['record_id']} sudah masuk berkas pendaftaran "
                               f"BPJS ({wita(item['registration_exported_at'], seconds=True)}); beri "
                               "tahu BPJS Ketenagakerjaan (kepesertaan diurus BPJS sendiri).")
        if not answer["compacted"]:
            from central.privacy import COMPACTION_OWED

            click.echo(COMPACTION_OWED, err=True)
    emit(answer, as_json, str(len(answer["erased"])))

