"""``berjasa sync ...``: the agent that pushes approved batches to central."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from berjasa.commandline import (
    data_dir_and_settings,
    data_dir_option,
    emit,
    hold_folder,
    json_option,
    write_file_for_carrying,
)
from berjasa.database import SchemaBehind, connect, require_current
from berjasa.local_time import wita
from berjasa.logs import configure_logging
from berjasa.number_text import thousands
from berjasa.os_errors import os_error_text
from berjasa.paths import kelurahan_db_path

log = logging.getLogger("berjasa.sync")


@click.group("sync")
def sync_group() -> None:
    """Kirim data yang disetujui ke pusat (sync agent)."""


def _open(data_dir: Path | None):
    """Data folder, settings and a connection to an up-to-date database, or one clear error."""
    folder, settings = data_dir_and_settings(data_dir)
    path = kelurahan_db_path(folder)
    if not path.exists():
        raise click.ClickException(f"Belum ada database di {folder}; jalankan `berjasa init` dulu.")
    conn = connect(path)
    try:
        require_current(conn, "migrations.kelurahan", "berjasa migrate")
    except SchemaBehind as exc:
        conn.close()
        raise click.ClickException(str(exc)) from exc
    return folder, settings, conn


def _report_line(report) -> str:
    """One line of what a run did (and what central holds that this laptop lost)."""
    line = (f"{report.result}: {report.records_sent} data terkirim dalam {report.batches_sent} batch,"
            f" {report.updates_applied} kabar dari pusat, {report.pending} masih menunggu"
            f" ({report.seconds:.1f} s)")
    if report.central_only:
        line += "\n" + central_only_text(report.central_only)
    elif report.restored_from_backup:
        line += (f"\nLaptop dipulihkan dari cadangan {wita(report.restored_from_backup)}: data yang "
                 "dicatat sesudahnya dan sudah di pusat diambil kembali dengan berjasa sync recover")
    return line


def central_only_text(count: int) -> str:
    """What a laptop that lost records central holds is told (docs/sync-agent.md)."""
    return (f"Perhatian: pusat memegang {count} data yang tidak ada di laptop ini — laptop "
            "dipulihkan dari cadangan lama? Ambil kembali: berjasa sync recover")


@sync_group.command("run")
@click.option("--once", is_flag=True, help="Satu kali percobaan, lalu keluar (bukan nol bila gagal).")
@data_dir_option
@json_option
def run_command(once: bool, data_dir: Path | None, as_json: bool) -> None:
    """Kirim data yang disetujui ke pusat dan ambil keputusan pusat.

    Tanpa --once agen terus berjalan sesuai jadwal (sync_interval_minutes),
    menunda setelah gagal, sampai Ctrl+C.

    Contoh: berjasa sync run --once --data-dir ./data
    """
    from sync.agent import run_once
    from sync.scheduler import SyncSchedule

    folder, settings, conn = _open(data_dir)
    conn.close()
    configure_logging(settings["log_level"], settings["log_format"])
    running = hold_folder(folder, "sync run")  # held until this process ends (restore refuses)
    if once:
        report = run_once(folder, settings, "cli")
        if as_json:
            emit(report.as_dict(), True)
        elif report.ok:
            click.echo(_report_line(report))
        if not report.ok:
            raise click.ClickException(f"Sinkronisasi gagal: {report.error}")
        return

    def show(report) -> None:
        click.echo(_report_line(report) + (f"; galat: {report.error}" if report.error else ""),
                   err=True)

    schedule = SyncSchedule(folder, settings, on_report=show)
    try:
        schedule.start()
        schedule.wait()
    except (KeyboardInterrupt, SystemExit):
        if schedule.busy.is_set():
            click.echo("Berhenti setelah pengiriman yang sedang berjalan selesai (Ctrl+C sekali "
                       "lagi: hentikan sekarang).", err=True)
    try:
        # the folder stays held until the run in progress has ended: a restore or a
        # migration while it still writes would meet a locked or half-written register
        schedule.shutdown(wait=True)
    except KeyboardInterrupt:
        click.echo("Dihentikan sekarang; yang belum terjawab dikirim lagi pada jalan berikutnya.",
                   err=True)
        os._exit(130)  # the run's transaction rolls back, the folder's lock goes with the process
    running.release()


@sync_group.command("register")
@click.option("--central", "central_url", required=True, metavar="URL",
              help="Alamat dasar registri pusat, misalnya https://pusat.example")
@click.option("--code", required=True, help="Kode sekali pakai dari `berjasa central device add`.")
@click.option("--label", default=None, help="Nama laptop ini di pusat.")
@click.option("--insecure-http", is_flag=True,
              help="Izinkan pusat http:// yang bukan di mesin ini (hanya untuk jaringan uji).")
@data_dir_option
@json_option
def register_command(central_url: str, code: str, label: str | None, data_dir: Path | None,
                     as_json: bool, insecure_http: bool = False) -> None:
    """Daftarkan laptop ini di pusat: buat kunci Ed25519 (disimpan di folder
    data) dan kirim bagian publiknya bersama kode sekali pakai.

    Contoh: berjasa sync register --central https://pusat.example --code K7QM-3TXA-PW9C
    """
    from berjasa.settings import write_setting
    from sync.keys import DeviceError, register_device

    folder, settings, conn = _open(data_dir)
    try:
        device = register_device(conn, folder, central_url, code, settings, label, insecure_http)
    except DeviceError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        conn.close()
    write_setting(folder, "sync_central_url", device["central_url"])
    if not as_json:
        click.echo(f"Terdaftar di {device['central_url']} untuk kelurahan {device['kelurahan_code']}")
    emit(device, as_json, device["device_id"])


@sync_group.command("resend")
@data_dir_option
@json_option
def resend_command(data_dir: Path | None, as_json: bool) -> None:
    """Antrekan lagi semua data yang sudah diterima pusat, untuk dikirim ulang.

    Untuk setelah pusat dipulihkan dari cadangan: data yang diterima pusat sesudah
    cadangan itu hilang di pusat, padahal di sini tertulis "Terkirim ke pusat".
    Pusat menjawab data yang masih dimilikinya dengan keputusan yang sama (tidak
    dobel) dan menerima lagi yang hilang. Status di laptop ini tidak mundur.

    Contoh: berjasa sync resend, lalu berjasa sync run --once (atau sync export)
    """
    from sync.resend import ResendError, queue_for_central_again

    folder, _, conn = _open(data_dir)
    try:
        queued = queue_for_central_again(conn, folder)
    except ResendError as exc:
        raise click.ClickException(f"kirim ulang gagal: {exc}") from exc
    finally:
        conn.close()
    if not as_json:
        click.echo(f"{queued} data yang sudah diterima pusat diantrekan untuk dikirim ulang; "
                   "jalankan `berjasa sync run --once` (atau `berjasa sync export`).")
    emit({"queued": queued}, as_json, str(queued))


@sync_group.command("recover")
@click.option("--check", "check_only", is_flag=True,
              help="Hanya hitung data yang dipegang pusat dan tidak ada di sini; tidak mengubah apa pun.")
@data_dir_option
@json_option
def recover_command(check_only: bool, data_dir: Path | None, as_json: bool) -> None:
    """Ambil kembali dari pusat data kelurahan ini yang tidak ada di laptop ini.

    Untuk laptop yang dipulihkan dari cadangan lama (atau dipasang ulang): data yang
    dicatat sesudah cadangan itu hilang di sini, tetapi yang sudah terkirim ada di
    pusat. Data itu ditulis kembali dengan status dari pusat (diterima, dikirim balik
    untuk perbaikan, ditolak, terdaftar), tercatat di jejak audit. Jalankan saat
    server kelurahan boleh berjalan, agen sinkronisasi tidak.

    Contoh: berjasa sync recover --check, lalu berjasa sync recover
    """
    from sync.recover import RecoverError, recover

    folder, settings, conn = _open(data_dir)
    try:
        summary = recover(conn, folder, settings, check_only)
    except RecoverError as exc:
        raise click.ClickException(f"pemulihan gagal: {exc}") from exc
    finally:
        conn.close()
    if not as_json:
        _say_recovery(summary)
    emit(summary, as_json, str(summary["missing_here" if check_only else "recovered"]))


def _say_recovery(summary: dict) -> None:
    """The recovery in words."""
    from server.pages.labels import STATUS_LABELS

    click.echo(f"Pusat memegang {summary['held_at_central']} data kelurahan ini: "
               f"{summary['already_here']} ada di laptop ini, {summary['missing_here']} tidak"
               + (f", {summary['erased_here']} sudah dihapus di sini" if summary["erased_here"] else "")
               + ".")
    if summary["check_only"]:
        if summary["missing_here"]:
            click.echo("Ambil kembali dengan: berjasa sync recover")
        if summary["erased_here_from_central"]:
            click.echo(f"{len(summary['erased_here_from_central'])} data di laptop ini sudah dihapus "
                       "di pusat; berjasa sync recover menghapusnya juga di sini.")
        if summary["erasures_noted"]:
            click.echo(f"{len(summary['erasures_noted'])} data kelurahan ini sudah dihapus di pusat; "
                       "berjasa sync recover mencatat penghapusannya di sini.")
        return
    statuses = ", ".join(f"{count} {STATUS_LABELS.get(status, status)}"
                         for status, count in sorted(summary["statuses"].items()))
    click.echo(f"Dipulihkan dari pusat: {summary['recovered']} data"
               + (f" ({statuses})" if statuses else "") + ".")
    for record_id in summary["copies_rejected"]:
        click.echo(f"Data {record_id} (dicatat ulang, ditolak pusat sebagai ganda dari data yang "
                   "dipulihkan) kini Ditolak; data aslinya kembali.")
    if summary["erased_here_from_central"]:
        click.echo(f"Dihapus di sini karena sudah dihapus di pusat: "
                   f"{len(summary['erased_here_from_central'])} data.")
    if summary["erasures_noted"]:
        click.echo(f"Penghapusan di pusat dicatat di sini: {len(summary['erasures_noted'])} data "
                   "(salinannya di HP petugas ditolak bila dikirim lagi).")
    for item in summary["not_recovered"]:
        holder = item.get("held_by") or {}
        why = (f"NIK-nya dipegang data {holder.get('id')} ({holder.get('status')}) di laptop ini: "
               "putuskan data itu dulu (mis. tolak sebagai ganda), lalu jalankan lagi"
               if item["why"] == "nik_held" else "data di pusat tidak lengkap")
        click.echo(f"Tidak dipulihkan: data {item['record_id']}: {why}.", err=True)


@sync_group.command("status")
@data_dir_option
@json_option
def status_command(data_dir: Path | None, as_json: bool) -> None:
    """Tampilkan pengiriman terakhir, yang menunggu, galat terakhir dan riwayat.

    Contoh: berjasa sync status --json
    """
    from sync.status import sync_status

    _, _, conn = _open(data_dir)
    try:
        status = sync_status(conn)
    finally:
        conn.close()
    if as_json:
        emit(status, True)
        return
    last = status["last_push"]
    click.echo(f"Perangkat: {status['device_id'] or 'belum terdaftar'}"
               f" -> {status['central_url'] or '-'}")
    click.echo(f"Terakhir terkirim: {_push_text(last) if last else 'belum pernah'}")
    answers = status["usb"]["last_import"]
    if answers:
        click.echo(f"Jawaban pusat terakhir lewat flashdisk: {wita(answers['at'], seconds=True)}"
                   f" ({answers['records_answered']} data terjawab,"
                   f" {answers['updates_applied']} kabar)")
    click.echo(f"Menunggu: {status['pending']['records']} data"
               f" ({status['pending']['batches_unanswered']} batch belum dijawab)")
    if status["restored_from_backup"]:
        click.echo(f"Laptop dipulihkan dari cadangan "
                   f"{wita(status['restored_from_backup']['backup_created_at'])}: data yang dicatat "
                   "sesudahnya dan sudah di pusat dapat diambil kembali (berjasa sync recover).")
    if status["central_only"]["records"]:
        click.echo(central_only_text(status["central_only"]["records"]))
    error = status["last_error"]
    if error and status["last_error_resolved"]:
        click.echo(f"Galat terakhir: - (yang terakhir, {wita(error['finished_at'], seconds=True)}, "
                   f"sudah teratasi: pengiriman sesudahnya berhasil)")
    else:
        click.echo(f"Galat terakhir: {error['error'] + ' (' + wita(error['finished_at'], seconds=True) + ')' if error else '-'}")
    retention = status["retention"]
    if retention["held_back"]:
        click.echo(retention["held_back"]["message"])
    elif retention["last_purge"]:
        click.echo(f"Retensi terakhir: {wita(retention['last_purge'], seconds=True)}")
    click.echo(str(status["pending"]["records"]))


def _push_text(last: dict) -> str:
    """When records last left for central, and how."""
    via = "lewat flashdisk" if last.get("via") == "usb" else "lewat jaringan"
    return f"{wita(last['at'], seconds=True)} ({via}, {last['records_sent']} data)"


def _actor(by: str | None):
    """Who runs a stick command, for the trail (``--by``, else the OS user)."""
    from berjasa.audit import cli_actor
    from berjasa.problems import Problem

    try:
        return cli_actor("admin", by)
    except Problem as problem:
        from berjasa.commandline import problem_line

        raise click.ClickException(problem_line(problem)) from problem


_BY_HELP = "Nama petugas yang menjalankan, untuk audit (bawaan cli:PENGGUNA-OS)."


@sync_group.command("export")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Berkas tujuan, misalnya E:/berjasa-73.71.15.1001.bjs (flashdisk).")
@click.option("--by", "by", default=None, help=_BY_HELP)
@data_dir_option
@json_option
def export_command(target: Path, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Tulis semua batch yang menunggu ke satu berkas untuk dibawa ke pusat (flashdisk).

    Berkas ditandatangani perangkat dan dienkripsi untuk pusat; tanpa kata sandi.
    Di pusat: berjasa central import-batches BERKAS. Tercatat di jejak audit
    (sync.usb_export: siapa, berkas, jumlah data, SHA-256).

    Contoh: berjasa sync export --to E:/berjasa-batch.bjs --by "Nama Petugas"
    """
    from sync.keys import DeviceError
    from sync.usb import UsbSyncError, export_batches

    actor = _actor(by)
    folder, settings, conn = _open(data_dir)
    try:
        _, summary = export_batches(conn, folder, max(1, int(settings["sync_batch_size"])),
                                    lambda data: write_file_for_carrying(target, data, "ekspor USB"),
                                    target=target, actor=actor)
    except (DeviceError, UsbSyncError) as exc:
        raise click.ClickException(f"ekspor USB gagal: {exc}") from exc
    finally:
        conn.close()
    summary["file"] = str(target)
    if not as_json:
        click.echo(f"{summary['records']} data dalam {summary['batches']} batch ditulis ke {target} "
                   f"({thousands(summary['bytes'])} byte). Bawa ke kantor pusat.")
    emit(summary, as_json, str(target))


@sync_group.command("import-answers")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--by", "by", default=None, help=_BY_HELP)
@data_dir_option
@json_option
def import_answers_command(file: Path, by: str | None, data_dir: Path | None,
                           as_json: bool) -> None:
    """Terapkan berkas jawaban dari pusat (flashdisk); aman diulang.

    Tercatat di jejak audit (sync.usb_import: siapa, berkas, SHA-256, jumlah jawaban).

    Contoh: berjasa sync import-answers E:/jawaban-73.71.15.1001.bja
    """
    from sync import protocol_sealed
    from sync.keys import DeviceError
    from sync.usb import UsbSyncError, import_answers

    try:
        data = file.read_bytes()
    except OSError as exc:  # a stick pulled out, no permission: in Indonesian, not errno text
        raise click.ClickException(f"impor jawaban gagal: tidak bisa membaca {file} "
                                   f"({os_error_text(exc)})") from exc
    actor = _actor(by)
    folder, _, conn = _open(data_dir)
    try:
        summary = import_answers(conn, folder, data, actor, file)
    except (DeviceError, UsbSyncError, protocol_sealed.SealedFileError) as exc:
        raise click.ClickException(f"impor jawaban gagal: {exc}") from exc
    finally:
        conn.close()
    if not as_json:
        if summary["central_only"]:
            click.echo(central_only_text(summary["central_only"]), err=True)
        click.echo(f"{summary['records_answered']} data terjawab dalam {summary['batches_answered']}"
                   f" batch; {summary['updates_applied']} kabar dari pusat diterapkan"
                   + (f"; petunjuk duplikat untuk {summary['hint_records']} data se-kota diperbarui."
                      if summary["hint_records"] else "."))
    emit(summary, as_json, str(summary["records_answered"]))
