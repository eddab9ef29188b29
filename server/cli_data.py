"""Commands for the data itself: ``backup``, ``restore`` and ``privacy``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click

from berjasa.audit import Actor, cli_actor
from berjasa.commandline import (
    data_dir_and_settings,
    data_dir_option,
    emit,
    json_option,
    problem_line,
    stdin_line,
)
from berjasa.folder_lock import FolderInUse, offline
from berjasa.local_time import wita
from berjasa.problems import Problem
from server.cli import open_register

# server.backup (zstandard, cryptography) and server.privacy are imported in the commands
# that use them: `berjasa --help` lists these commands (tests/cli/test_startup.py).


def _passphrase(from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        return stdin_line()
    return click.prompt("Frasa sandi cadangan", hide_input=True, confirmation_prompt=confirm)


_BY_HELP = "Nama petugas yang menjalankan, untuk audit (bawaan cli:PENGGUNA-OS)."


def _admin_actor(by: str | None) -> Actor:
    """The trail's actor of a backup or a restore (``--by``, else the OS user), checked
    before any file is touched; a bad name is one clear line."""
    try:
        return cli_actor("admin", by)
    except Problem as problem:
        raise click.ClickException(problem_line(problem)) from problem


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passphrase-stdin", is_flag=True, help="Baca frasa sandi dari stdin.")
@click.option("--by", "by", default=None, help=_BY_HELP)
@data_dir_option
@json_option
def backup_command(path: Path, passphrase_stdin: bool, by: str | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Tulis cadangan terenkripsi (AES-256-GCM, frasa sandi scrypt) dari register.

    Tercatat di jejak audit (site.backup): siapa, berkas, SHA-256-nya.

    Contoh: berjasa backup E:/cadangan/kelurahan-2026-11-25.bjb --by "Nama Petugas"
    """
    from server.backup import BackupError, create_backup
    from server.backup_trail import record_backup

    actor = _admin_actor(by)
    folder, _ = data_dir_and_settings(data_dir)
    try:
        info = create_backup(folder, path, _passphrase(passphrase_stdin, confirm=True))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _, _, conn = open_register(data_dir)
    try:  # the whole register left the laptop: who, which file, its SHA-256 (h2 item 5)
        record_backup(conn, actor, str(info.path), info.sha256, info.size_bytes,
                      info.created_at, info.trail_last_seq)
    finally:
        conn.close()
    emit({"path": str(info.path), "kelurahan_code": info.kelurahan_code,
          "created_at": info.created_at, "files": info.files, "size_bytes": info.size_bytes,
          "sha256": info.sha256}, as_json, str(info.path))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--passphrase-stdin", is_flag=True, help="Baca frasa sandi dari stdin.")
@click.option("--force", is_flag=True, help="Ganti basis data yang ada (yang lama disimpan di sebelahnya).")
@click.option("--by", "by", default=None, help=_BY_HELP)
@data_dir_option
@json_option
def restore_command(path: Path, passphrase_stdin: bool, force: bool, by: str | None,
                    data_dir: Path | None, as_json: bool) -> None:
    """Pulihkan cadangan ke folder data (hentikan `berjasa serve` dulu).

    Semua yang dicatat sesudah cadangan dibuat hilang dari laptop ini (basis data lama
    disimpan di sebelahnya). Jejak audit yang dipulihkan mendapat entri site.restore:
    siapa, dari cadangan mana, dan sampai nomor berapa jejak lama sudah berjalan.

    Contoh: berjasa restore E:/cadangan/kelurahan-2026-11-25.bjb --data-dir ./data
    """
    from server.backup import BackupError, restore_backup

    actor = _admin_actor(by)
    folder, _ = data_dir_and_settings(data_dir)
    try:
        with offline(folder, "restore"):
            info = restore_backup(path, folder, _passphrase(passphrase_stdin, confirm=False),
                                  force, actor)
    except (BackupError, FolderInUse) as exc:
        raise click.ClickException(str(exc)) from exc
    _note_restored(folder, info.created_at)
    if not as_json:
        click.echo(f"Data yang dicatat sesudah cadangan ini dibuat ({wita(info.created_at)}) tidak "
                   "ada di laptop ini. Yang sudah terkirim ke pusat diambil kembali dengan "
                   "`berjasa sync recover` (agen sinkronisasi berhenti dulu); yang belum terkirim "
                   "hilang: minta petugas mendatanya lagi.")
    emit({"restored": str(folder), "kelurahan_code": info.kelurahan_code,
          "created_at": info.created_at, "files": info.files, "sha256": info.sha256},
         as_json, str(folder))


def _note_restored(folder: Path, backup_created_at: str) -> None:
    """The restored register remembers it is as old as its backup: `sync run`, `sync
    status` and the panel say so until `berjasa sync recover` (docs/sync-agent.md)."""
    from berjasa.database import connect
    from berjasa.paths import kelurahan_db_path
    from sync.storage_central import note_restored

    conn = connect(kelurahan_db_path(folder))
    try:
        note_restored(conn, backup_created_at)
    except sqlite3.Error:
        pass  # a backup older than the sync tables: `berjasa migrate` comes first anyway
    finally:
        conn.close()


@click.group("privacy")
def privacy_group() -> None:
    """Permintaan pemilik data (UU PDP): ekspor atau hapus data satu NIK."""


@privacy_group.command("export")
@click.argument("nik")
@click.option("--reason", default=None,
              help="Alasan (nomor surat permohonan), disimpan di audit. Dianjurkan.")
@click.option("--by", "by", default=None,
              help="Nama petugas yang mengekspor, untuk audit (bawaan cli:PENGGUNA-OS).")
@data_dir_option
@json_option
def privacy_export(nik: str, reason: str | None, by: str | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Semua yang disimpan tentang satu NIK (data, riwayat, audit), untuk pemilik data.

    Contoh: berjasa privacy export 7371014101900001 --reason "Surat 12/XI/2026" --json > data-subjek.json
    """
    from server import privacy

    _, _, conn = open_register(data_dir)
    try:
        answer = privacy.export_subject(conn, nik, cli_actor("admin", by), reason)
    except Problem as problem:
        raise click.ClickException(problem_line(problem)) from problem
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, default=str))
        return
    for record in answer["records"]:
        click.echo(f"{record['id']}  {record['full_name']}  status={record['status']}  "
                   f"riwayat={len(record['history'])}")
    click.echo(f"{len(answer['audit'])} entri audit")
    click.echo(str(len(answer["records"])))


@privacy_group.command("erase")
@click.argument("nik")
@click.option("--reason", required=True, help="Alasan (nomor surat permohonan), disimpan di audit.")
@click.option("--by", "by", default=None,
              help="Nama petugas yang menghapus, untuk audit (bawaan cli:PENGGUNA-OS).")
@data_dir_option
@json_option
def privacy_erase(nik: str, reason: str, by: str | None, data_dir: Path | None,
                  as_json: bool) -> None:
    """Hapus semua data satu NIK di sini, dan di pusat pada sinkronisasi berikutnya.

    Menghapus orang itu dari register, batch sinkronisasi tersimpan, alasan
    pemeriksaan dan nilai di jejak audit, lalu memadatkan basis data (docs/privacy.md).

    Contoh: berjasa privacy erase 7371014101900001 --reason "Surat permohonan 12/XI/2026"
    """
    from server import privacy
    from sync.usb import replace_stale_files

    folder, settings, conn = open_register(data_dir)
    try:
        actor = cli_actor("admin", by)
        answer = privacy.erase_subject(conn, nik, reason, actor)
        # a file on a stick made before the erasure still carries the person to central
        answer["usb_files"] = replace_stale_files(conn, folder, answer["usb_files"],
                                                  max(1, int(settings["sync_batch_size"])), actor)
    except Problem as problem:
        raise click.ClickException(problem_line(problem)) from problem
    finally:
        conn.close()
    if not as_json:
        if answer["already_erased"]:
            click.echo(f"NIK ini sudah dihapus sebelumnya ({wita(answer['erased_at'], seconds=True)}); "
                       "tidak ada lagi yang tersimpan.")
        else:
            click.echo(f"Dihapus: {len(answer['erased'])} data. Penghapusan dikirim ke pusat "
                       "pada sinkronisasi berikutnya.")
            _say_scope(answer["held_elsewhere"])
            for name in answer["migration_copies_deleted"]:
                click.echo(f"Salinan sebelum migrasi yang memuat orang ini ikut dihapus: "
                           f"backups/{name}")
            if not answer["compacted"]:
                click.echo("Perhatian: basis data belum dapat dipadatkan (ada pembacaan yang masih "
                           "terbuka); sinkronisasi berikutnya atau `berjasa privacy purge` "
                           "menyelesaikannya.", err=True)
            for item in answer["usb_files"]:
                _say_usb_file(item)
    emit(answer, as_json, str(len(answer["erased"])))


def _say_scope(elsewhere: list[dict]) -> None:
    """What this erasure covers, and what central said is held elsewhere (docs/privacy.md 4)."""
    click.echo("Penghapusan ini hanya mencakup data kelurahan ini (dan salinannya di pusat), "
               "bukan data orang yang sama di kelurahan lain.")
    if not elsewhere:
        return
    places = "; ".join(f"kelurahan {item['kelurahan_code']} (data {item['record_id']})"
                       for item in elsewhere)
    click.echo(f"Perhatian: menurut kabar pusat, NIK ini juga dipegang {places}. Data itu TIDAK "
               "ikut terhapus. Untuk penghapusan di seluruh kota, minta kantor pusat menjalankan: "
               'berjasa central privacy erase NIK --reason "<nomor surat>" (pusat menghapus semua '
               "data NIK itu, dan setiap kelurahan ikut menghapus salinannya).", err=True)


def _say_usb_file(item: dict) -> None:
    """What the operator must know about a stick file that held the erased person."""
    where = f"Berkas flashdisk {item['file']} (ditulis {wita(item['written_at'], seconds=True)})"
    if item["replaced"]:
        click.echo(f"{where} memuat orang ini dalam batch yang belum dijawab pusat; berkas itu "
                   "sudah ditulis ulang: kini membawa penghapusan ini dan tidak memuat orang itu. "
                   "Musnahkan salinan berkas lama bila ada.")
        return
    why = ("berkas itu tidak ada lagi di tempatnya atau sudah berubah: flashdisk sudah dibawa?"
           if item["why"] == "not_found" else item["why"])
    click.echo(f"Perhatian: {where} memuat orang ini dalam batch yang belum dijawab pusat dan "
               f"tidak dapat ditulis ulang ({why}). Musnahkan berkas itu dan salinannya, atau "
               f"buat berkas baru (berjasa sync export --to {item['file']}) dan bawa ke pusat "
               "sebagai gantinya: bila berkas lama diimpor di pusat lebih dulu, orang itu aktif "
               "di pusat (dan dapat masuk berkas pendaftaran BPJS) sampai berkas baru diimpor.",
               err=True)


@privacy_group.command("purge")
@click.option("--clock-checked", is_flag=True,
              help="Jalankan juga bila jam laptop diragukan, setelah Anda memeriksa tanggal dan "
                   "jamnya (tercatat di audit).")
@click.option("--by", "by", default=None,
              help="Nama petugas yang menjalankan, untuk audit (bawaan cli:PENGGUNA-OS).")
@data_dir_option
@json_option
def privacy_purge(clock_checked: bool, by: str | None, data_dir: Path | None,
                  as_json: bool) -> None:
    """Terapkan pengaturan masa simpan (retention_*): hapus data yang lama ditolak, jejak
    penghapusan lama, isi batch lama yang sudah dijawab dan log lama; tercatat di audit.
    Agen sinkronisasi terjadwal menjalankannya sekali sehari.

    Tidak berjalan bila jam laptop diragukan (pusat menolaknya, atau jam jauh dari waktu
    yang sudah tersimpan): data tidak dihapus dengan jam yang salah (docs/privacy.md).

    Contoh: berjasa privacy purge --json
    """
    from sync.retention import guarded_purge

    _, settings, conn = open_register(data_dir)
    try:
        answer = guarded_purge(conn, settings, cli_actor("admin", by),
                               clock_checked=clock_checked)
    except Problem as problem:
        raise click.ClickException(problem_line(problem)) from problem
    finally:
        conn.close()
    if not as_json:
        click.echo(f"Retensi (keputusan {answer['policy_date']}): {answer['rejected_erased']} data "
                   f"ditolak dihapus, {answer['erasure_traces_deleted']} jejak penghapusan, "
                   f"{answer['batch_bodies_emptied']} isi batch, {answer['log_rows_deleted']} "
                   "baris log.")
    emit(answer, as_json, str(sum(answer[k] for k in ("rejected_erased", "erasure_traces_deleted",
                                                       "batch_bodies_emptied", "log_rows_deleted"))))
