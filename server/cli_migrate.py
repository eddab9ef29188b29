"""``berjasa migrate``: upgrade the kelurahan database to this version's schema.

Offline: it refuses while ``berjasa serve`` or the sync agent holds the data
folder. It prints what it will apply, copies the database to ``backups/`` first,
then applies each migration in its own transaction (a failing step leaves the
database at the step before, and the copy beside it).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from berjasa.commandline import data_dir_and_settings, data_dir_option, emit, json_option
from berjasa.database import MigrationError, migration_outcome
from berjasa.folder_lock import FolderInUse, offline
from berjasa.paths import kelurahan_db_path
from server.install import migrate_kelurahan


@click.command("migrate")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan migrasi yang akan diterapkan.")
@data_dir_option
@json_option
def migrate_command(dry_run: bool, data_dir: Path | None, as_json: bool) -> None:
    """Perbarui basis data kelurahan ke versi program ini (luring: hentikan server dan agen dulu).

    Membuat salinan basis data di backups/ sebelum menerapkan migrasi.

    Contoh: berjasa migrate --data-dir ./data
    """
    folder, _ = data_dir_and_settings(data_dir)
    if not kelurahan_db_path(folder).exists():
        raise click.ClickException(f"Belum ada database di {folder}; jalankan `berjasa init` dulu.")
    try:
        # a dry run changes nothing: it may look while the server runs
        with nullcontext() if dry_run else offline(folder, "migrate"):
            result = migrate_kelurahan(folder, dry_run=True)
            if not as_json:
                _announce(result.pending, dry_run)
            if result.pending and not dry_run:
                result = migrate_kelurahan(folder)
    except FolderInUse as exc:
        raise click.ClickException(str(exc)) from exc
    except MigrationError as exc:
        raise click.ClickException(f"migrasi gagal, basis data tetap di versi sebelumnya "
                                   f"(salinan di {folder / 'backups'}): {exc}") from exc
    answer = {"pending": result.pending, "applied": result.applied,
              "backup": str(result.backup) if result.backup else None}
    if not as_json and result.applied:
        click.echo(f"Selesai: {len(result.applied)} migrasi diterapkan; salinan sebelum migrasi: "
                   f"{result.backup}")
    emit(answer, as_json, migration_outcome(result.pending, result.applied, dry_run))


def _announce(pending: list[str], dry_run: bool) -> None:
    if not pending:
        click.echo("Basis data sudah versi terbaru; tidak ada migrasi.")
        return
    verb = "Akan diterapkan" if dry_run else "Menerapkan"
    click.echo(f"{verb} {len(pending)} migrasi:")
    for name in pending:
        click.echo(f"  {name}")
