"""``berjasa central device add|revoke|list``, ``import-batches`` and ``export-answers``:
the kelurahan laptops: their registration codes and devices, and the batches and
answers carried on a flash drive where the network does not reach.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from berjasa.commandline import (
    by_option,
    data_dir_option,
    emit,
    json_option,
    write_file_for_carrying,
)
from berjasa.local_time import wita
from berjasa.os_errors import os_error_text
from central.cli_db import central_db


@click.group("device")
def device_group() -> None:
    """Perangkat kelurahan: kode pendaftaran sekali pakai, pencabutan."""


@device_group.command("add")
@click.option("--kelurahan", "kelurahan_code", required=True, help="Kode kelurahan, e.g. 73.71.01.1001.")
@by_option()
@data_dir_option
@json_option
def device_add(kelurahan_code: str, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Buat kode pendaftaran sekali pakai untuk laptop kelurahan (dicetak di baris terakhir).

    Contoh: berjasa central device add --kelurahan 73.71.01.1001
    """
    from central.devices import UnknownKelurahan, create_registration_code
    from central.trail import cli_actor

    with central_db(data_dir) as (db, settings, _):
        try:
            issued = create_registration_code(db, kelurahan_code.strip(),
                                              settings["central_registration_code_ttl_minutes"],
                                              cli_actor(by))
        except UnknownKelurahan as exc:
            raise click.ClickException(str(exc)) from exc
    if not as_json:
        click.echo(f"Kode sekali pakai untuk kelurahan {issued['kelurahan_code']}, berlaku sampai "
                   f"{issued['expires_at']}. Di laptop kelurahan: "
                   f"berjasa sync register --central URL --code KODE")
    emit(issued, as_json, issued["code"])


@device_group.command("revoke")
@click.argument("device")
@by_option()
@data_dir_option
@json_option
def device_revoke(device: str, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Cabut perangkat menurut id, atau semua perangkat satu kode kelurahan; dengan kode
    kelurahan, kode pendaftaran kelurahan itu yang belum dipakai ikut dibatalkan.

    Contoh: berjasa central device revoke 73.71.01.1001
    """
    from central.devices import revoke
    from central.trail import cli_actor

    with central_db(data_dir) as (db, _, _):
        done = revoke(db, device, cli_actor(by))
    if not done.devices and not done.codes:
        raise click.ClickException(f"tidak ada perangkat aktif atau kode pendaftaran yang belum "
                                   f"dipakai dengan id atau kelurahan {device}")
    if as_json:
        emit({"revoked": done.devices, "codes_cancelled": len(done.codes)}, True)
        return
    if done.codes:
        click.echo(f"{len(done.codes)} kode pendaftaran untuk {device.strip()} yang belum dipakai "
                   "dibatalkan.")
    for device_id in done.devices:  # the value, last: the ids revoked
        click.echo(device_id)


@device_group.command("list")
@data_dir_option
@json_option
def device_list(data_dir: Path | None, as_json: bool) -> None:
    """Perangkat kelurahan (terdaftar, dicabut, batch terakhir) dan kode pendaftaran yang
    belum dipakai (kapan dan oleh siapa dibuat, berlaku sampai; kodenya tidak ditampilkan
    lagi). Baris terakhir: jumlah perangkat aktif.

    Contoh: berjasa central device list --json
    """
    from central.devices import listing

    with central_db(data_dir) as (db, _, _):
        found = listing(db)
    active = sum(1 for d in found["devices"] if d["active"])
    if as_json:
        emit(found, True)
        return
    for d in found["devices"]:
        state = f"dicabut {wita(d['revoked_at'])}" if d["revoked_at"] else "aktif"
        last = (f"batch terakhir {wita(d['last_batch_at'])} ({d['batches']} batch)"
                if d["last_batch_at"] else "belum mengirim batch")
        click.echo(f"{d['device_id']}  {d['kelurahan_code']} {d['kelurahan_name'] or '?'}  "
                   f"terdaftar {wita(d['registered_at'])}  {state}  {last}")
    if not found["devices"]:
        click.echo("Belum ada perangkat terdaftar.")
    if found["codes"]:
        click.echo("Kode pendaftaran yang belum dipakai:")
    for c in found["codes"]:
        click.echo(f"  {c['kelurahan_code']} {c['kelurahan_name'] or '?'}  dibuat "
                   f"{wita(c['created_at'])} oleh {c['created_by'] or '?'}  berlaku sampai "
                   f"{wita(c['expires_at'])}")
    click.echo(str(active))


@click.command("import-batches")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@by_option()
@data_dir_option
@json_option
def import_batches_command(file: Path, by: str | None, data_dir: Path | None,
                           as_json: bool) -> None:
    """Terapkan berkas batch dari laptop kelurahan (flashdisk); aman diulang.

    Contoh: berjasa central import-batches E:/berjasa-batch.bjs
    """
    from central.usb import UsbError, import_batches
    from sync.protocol_sealed import SealedFileError

    try:
        data = file.read_bytes()
    except OSError as exc:  # a stick pulled out, no permission: in Indonesian, not errno text
        raise click.ClickException(f"impor batch gagal: tidak bisa membaca {file} "
                                   f"({os_error_text(exc)})") from exc
    from central.trail import cli_actor, record

    with central_db(data_dir) as (db, settings, folder):
        try:
            summary = import_batches(db, folder, data, settings)
        except (UsbError, SealedFileError) as exc:
            raise click.ClickException(f"impor batch gagal: {exc}") from exc
        answer = {"kelurahan_code": summary.kelurahan_code, "device_id": summary.device_id,
                  "batches": summary.batches, "new": summary.new, "replayed": summary.replayed,
                  "records": summary.records, "erased": summary.erased, "refused": summary.refused,
                  "erased_on_registration_file": summary.on_registration_file,
                  "compacted": summary.compacted}
        record(db, cli_actor(by), "import.batches", f"kelurahan:{summary.kelurahan_code}",
               {**answer, "refused": len(summary.refused),
                "erased_on_registration_file": len(summary.on_registration_file),
                "file": file.name, "sha256": hashlib.sha256(data).hexdigest()})
    if not as_json:
        click.echo(f"Kelurahan {summary.kelurahan_code}: {summary.batches} batch "
                   f"({summary.new} baru, {summary.replayed} sudah pernah diterima, "
                   f"{len(summary.refused)} ditolak), {summary.records} data, "
                   f"{summary.erased} data dihapus atas permintaan kelurahan.")
        for item in summary.refused:
            click.echo(f"  ditolak {item['batch_id']}: {item['reason']}")
        for item in summary.on_registration_file:
            click.echo(f"  Perhatian: data {item['record_id']} yang kini dihapus sudah masuk berkas "
                       f"pendaftaran BPJS ({wita(item['registration_exported_at'], seconds=True)}); "
                       "beri tahu BPJS Ketenagakerjaan agar data itu tidak didaftarkan "
                       "(id data ada di jejak audit, privacy.erase).")
        if not summary.compacted:
            from central.privacy import COMPACTION_OWED

            click.echo(COMPACTION_OWED, err=True)
    emit(answer, as_json, str(summary.new))
    if summary.refused:
        raise click.exceptions.Exit(1)


@click.command("export-answers")
@click.option("--kelurahan", "kelurahan_code", required=True, help="Kode kelurahan, e.g. 73.71.15.1001.")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Berkas tujuan di flashdisk.")
@by_option()
@data_dir_option
@json_option
def export_answers_command(kelurahan_code: str, target: Path, by: str | None,
                           data_dir: Path | None, as_json: bool) -> None:
    """Tulis jawaban pusat untuk satu kelurahan ke berkas (flashdisk), terenkripsi untuk laptopnya.

    Lalu di laptop kelurahan jalankan `sync import-answers` dengan berkas itu.

    Contoh: berjasa central export-answers --kelurahan 73.71.15.1001 --to E:/jawaban.bja
    """
    from central.trail import cli_actor, record
    from central.usb import UsbError, export_answers

    with central_db(data_dir) as (db, settings, folder):
        try:
            data, summary = export_answers(db, folder, kelurahan_code.strip(), settings)
        except UsbError as exc:
            raise click.ClickException(f"ekspor jawaban gagal: {exc}") from exc
        write_file_for_carrying(target, data, "ekspor jawaban")
        summary["file"] = str(target)
        # the file hands out decisions (and hashes of every active record): in the trail
        record(db, cli_actor(by), "export.answers", f"kelurahan:{summary['kelurahan_code']}",
               {**summary, "sha256": hashlib.sha256(data).hexdigest()})
    if not as_json:
        click.echo(f"{summary['answers']} jawaban batch, {summary['updates']} kabar dan petunjuk "
                   f"duplikat ({summary['hint_records']} data se-kota) untuk {kelurahan_code} "
                   f"ditulis ke {target}.")
    emit(summary, as_json, str(target))
