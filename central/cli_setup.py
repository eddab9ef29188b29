"""``berjasa central init|migrate|restored``: the central database's life: set up
(its URL remembered), upgraded to this program's version (offline), and recorded as
restored from a backup.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from berjasa.commandline import (
    by_option,
    data_dir_and_settings,
    data_dir_option,
    emit,
    json_option,
)
from berjasa.database import behind_message, migration_outcome
from berjasa.paths import private_folder, tighten
from berjasa.settings import write_setting
from central.cli_db import central_db, db_errors, default_url, one_line


@click.command("init")
@click.option("--database", "database_url", default=None,
              help="sqlite:///PATH atau postgresql://user@host/db (bawaan: central.db di folder data).")
@by_option()
@data_dir_option
@json_option
def init_command(database_url: str | None, by: str | None, data_dir: Path | None,
                 as_json: bool) -> None:
    """Siapkan basis data pusat dan ingat alamat URL-nya.

    Contoh: berjasa central init --database postgresql://postgres@127.0.0.1/berjasa
    """
    from central.storage.db import Database, behind_pending, migrate
    from central.trail import cli_actor, record, seal_unsealed

    folder, settings = data_dir_and_settings(data_dir)
    private_folder(folder)
    url = database_url or settings["central_database_url"] or default_url(folder)
    try:
        db = Database(url, data_dir=folder)
        try:
            behind = behind_pending(db)
            if behind:  # an older version's database: `central migrate` (offline) upgrades it
                raise click.ClickException(behind_message(behind, "berjasa central migrate"))
            applied = migrate(db)
            seal_unsealed(db)
            if applied:
                record(db, cli_actor(by), "schema.migrate", None, {"applied": applied})
        finally:
            db.close()
    except db_errors() as exc:
        raise click.ClickException(f"tidak dapat menyiapkan basis data pusat: {one_line(exc)}") from exc
    write_setting(folder, "central_database_url", url)
    tighten(folder)  # 0700 folder, 0600 files (an existing folder too)
    shown = _hide_password(url)
    if not as_json:
        click.echo(f"Registri pusat siap ({len(applied)} migrasi diterapkan).")
    emit({"database": shown, "migrations_applied": applied}, as_json, shown)


def _hide_password(url: str) -> str:
    """The URL without a password, for printing."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@click.command("migrate")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan migrasi yang akan diterapkan.")
@by_option()
@data_dir_option
@json_option
def migrate_command(dry_run: bool, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Perbarui basis data pusat ke versi program ini (luring: hentikan `central serve` dulu).

    Setiap migrasi dalam transaksinya sendiri. Di PostgreSQL, buat cadangan (pg_dump)
    sebelumnya; kunci folder hanya melihat server yang memakai folder data ini.

    Contoh: berjasa central migrate
    """
    from berjasa.folder_lock import FolderInUse, offline
    from central.storage.db import migrate, pending_migrations
    from central.trail import cli_actor, record, seal_unsealed

    folder, _ = data_dir_and_settings(data_dir)
    try:
        # a dry run changes nothing: it may look while central runs
        with nullcontext() if dry_run else offline(folder, "central migrate"), \
                central_db(data_dir) as (db, _, _):
            pending = pending_migrations(db)
            if not as_json:
                if not pending:
                    click.echo("Basis data pusat sudah versi terbaru; tidak ada migrasi.")
                else:
                    click.echo(f"{'Akan diterapkan' if dry_run else 'Menerapkan'} "
                               f"{len(pending)} migrasi:")
                    for name in pending:
                        click.echo(f"  {name}")
            applied = [] if dry_run else migrate(db)
            if not dry_run:
                seal_unsealed(db)  # the trail written before sealing (migration 0013)
            if applied:
                record(db, cli_actor(by), "schema.migrate", None, {"applied": applied})
    except FolderInUse as exc:
        raise click.ClickException(str(exc)) from exc
    emit({"pending": pending, "applied": applied}, as_json,
         migration_outcome(pending, applied, dry_run))


@click.command("restored")
@click.option("--reason", required=True,
              help="Cadangan mana yang dipulihkan (mis. \"pg_dump 2026-11-20\"), disimpan di audit.")
@click.option("--by", "actor", default=None, help="Nama operator untuk audit (bawaan cli:USER).")
@data_dir_option
@json_option
def restored_command(reason: str, actor: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Catat bahwa basis data pusat baru dipulihkan dari cadangan (salinan central.db atau
    pg_restore): berkas pendaftaran BPJS ditahan sampai daftar peserta BPJS terbaru diimpor.

    Contoh: berjasa central restored --reason "pg_dump 2026-11-20, disk rusak"
    """
    from berjasa.commandline import problem_line
    from berjasa.problems import Problem
    from central.restores import record_restore
    from central.trail import cli_actor

    with central_db(data_dir) as (db, _, _):
        try:
            row = record_restore(db, reason, cli_actor(actor))
        except Problem as exc:
            raise click.ClickException(problem_line(exc)) from exc
    emit(row, as_json, "Pemulihan dicatat. Berkas pendaftaran BPJS ditahan sampai daftar peserta "
         "BPJS terbaru diimpor (berjasa central import bpjs-participants BERKAS).")
