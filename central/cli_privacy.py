"""``berjasa central privacy erase NIK --reason TEXT`` and ``berjasa central privacy
export NIK --reason TEXT``: a data subject's requests at central (thin: parse, call
central.privacy / central.subject_access, print)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from berjasa.commandline import (
    data_dir_option,
    emit,
    json_option,
    problem_line,
    write_file_for_carrying,
)
from berjasa.local_time import wita
from berjasa.number_text import thousands
from berjasa.problems import Problem
from central.cli_db import central_db


@click.group("privacy")
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


@central_privacy_group.command("export")
@click.argument("nik")
@click.option("--reason", required=True,
              help="Alasan (nomor surat permohonan), disimpan di jejak audit pusat.")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tulis salinan (JSON) ke berkas ini, bukan ke layar.")
@click.option("--by", "actor", default=None, help="Nama operator untuk audit (bawaan cli:USER).")
@data_dir_option
@json_option
def central_export_command(nik: str, reason: str, target: Path | None, actor: str | None,
                           data_dir: Path | None, as_json: bool) -> None:
    """Salinan semua yang disimpan pusat tentang satu NIK, untuk pemiliknya (UU PDP Pasal 7).

    Memuat yang tidak ada di ekspor kelurahan: keputusan dan hasil aturan kelayakan, KPJ,
    temuan dan keputusan verifikator, pasangan dugaan duplikat, cek Dukcapil, kabar ke
    kelurahan, jejak audit pusat, dan baris orang itu di DTSEN, peserta BPJS, kohort 2024
    dan JHT. Tercatat di jejak audit (siapa, alasan, SHA-256), tanpa NIK.

    Contoh: berjasa central privacy export 7371014101900001 --reason "Surat 12/XI/2026" --to E:/salinan.json
    """
    from central.subject_access import SOURCE_NAMES, export_subject
    from central.trail import cli_actor

    if target is not None and not target.parent.is_dir():  # said before anything is recorded
        write_file_for_carrying(target, b"", "ekspor salinan")
    with central_db(data_dir) as (db, _, folder):
        try:
            copy, data = export_subject(db, folder, nik, reason, cli_actor(actor),
                                        target.name if target is not None else "stdout")
        except Problem as exc:
            raise click.ClickException(problem_line(exc)) from exc
    if target is None and as_json:
        click.echo(data.decode("utf-8"), nl=False)
        return
    lists = [SOURCE_NAMES[k] for k, v in copy["source_lists"].items() if v]
    if target is not None:
        write_file_for_carrying(target, data, "ekspor salinan")
        if not as_json:
            click.echo(f"Salinan data pusat untuk pemiliknya ditulis ke {target}: "
                       f"{len(copy['records'])} data, daftar sumber: {', '.join(lists) or '-'} "
                       f"({thousands(len(data))} byte). Serahkan langsung atau terenkripsi.")
        emit({"to": str(target), "records": len(copy["records"]), "source_lists": lists,
              "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
             as_json, str(target))
        return
    for record in copy["records"]:
        click.echo(f"{record['kelurahan_code']}/{record['record_id']}  {record['full_name']}  "
                   f"status={record['status']}  kpj={record['kpj_number'] or '-'}  "
                   f"temuan={len(record['findings'])}  pasangan={len(record['duplicate_pairs'])}")
    click.echo(f"Daftar sumber: {', '.join(lists) or '-'}; {len(copy['trail'])} entri audit pusat")
    click.echo(str(len(copy["records"])))
