"""Setting up a kelurahan laptop: the data folder, the database and its
migrations. Running it again applies new migrations and changes nothing else."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from berjasa import reference
from berjasa.database import apply_migrations, connect, pending_migrations, transaction
from berjasa.paths import kelurahan_db_path, private_folder, tighten
from berjasa.settings import write_setting
from server import backup_trail
from server.storage import enrollments
from server.storage.audit import SYSTEM, record_audit_entry, seal_unsealed
from server.storage.users import get_site, set_site

KELURAHAN_MIGRATIONS = "migrations.kelurahan"


class UnknownKelurahan(ValueError):
    """The code is not one of Makassar's 153 kelurahan."""


class KelurahanMismatch(ValueError):
    """The data folder already belongs to another kelurahan."""


@dataclass
class InitResult:
    """What ``berjasa init`` did."""

    data_dir: Path
    database: Path
    kelurahan_code: str
    kelurahan_name: str
    applied: list[str]


def unknown_kelurahan_message(code: str) -> str:
    """One line telling how to find the right code."""
    hints = reference.find_kelurahan(code) if not any(c.isdigit() for c in code) else []
    prefix = code.strip()[:8]
    if not hints and prefix.startswith("73.71."):
        hints = [r for r in reference.kelurahan_list() if r.code.startswith(prefix)][:5]
    suggestion = (" Mungkin: " + ", ".join(f"{r.code} {r.name}" for r in hints) + ".") if hints else ""
    return (f"Kode kelurahan tidak dikenal: {code!r}. Gunakan kode Kemendagri 73.71.KK.NNNN "
            f"(153 kelurahan Kota Makassar; daftar: berjasa/data/makassar_wilayah.csv)."
            + suggestion)


def init_kelurahan(data_dir: Path, kelurahan_code: str) -> InitResult:
    """Create or upgrade the kelurahan database in ``data_dir``."""
    region = reference.kelurahan(kelurahan_code)
    if region is None:
        raise UnknownKelurahan(unknown_kelurahan_message(kelurahan_code))
    private_folder(data_dir)  # 0700; an existing folder is tightened below
    db_path = kelurahan_db_path(data_dir)
    conn = connect(db_path)
    try:
        enrollments.register_functions(conn)  # what the migrations call
        applied = apply_migrations(conn, KELURAHAN_MIGRATIONS)
        backup_trail.record_pending_restore(conn, data_dir)  # a restore's entry comes first
        existing = get_site(conn, "kelurahan_code")
        if existing and existing != region.code:
            raise KelurahanMismatch(
                f"Folder data {data_dir} sudah dipakai kelurahan {existing}; "
                f"pakai --data-dir lain untuk {region.code}.")
        if not existing:
            with transaction(conn):
                set_site(conn, "kelurahan_code", region.code)
                record_audit_entry(conn, SYSTEM, "site.init", None,
                                   {"kelurahan_code": [None, region.code]})
        seal_unsealed(conn)  # an upgraded folder: seal the entries written before sealing
    finally:
        conn.close()
    write_setting(data_dir, "kelurahan_code", region.code)
    tighten(data_dir)
    return InitResult(data_dir, db_path, region.code, region.name, applied)


@dataclass
class MigrateResult:
    """What ``berjasa migrate`` found and did."""

    database: Path
    pending: list[str]
    applied: list[str] = field(default_factory=list)
    backup: Path | None = None


def pending_kelurahan_migrations(data_dir: Path) -> list[str]:
    """Migrations the kelurahan database in ``data_dir`` still lacks."""
    conn = connect(kelurahan_db_path(data_dir))
    try:
        return pending_migrations(conn, KELURAHAN_MIGRATIONS)
    finally:
        conn.close()


def migrate_kelurahan(data_dir: Path, dry_run: bool = False) -> MigrateResult:
    """Back the database up, then apply each pending migration in its own
    transaction. The caller holds the folder offline (no server, no agent).
    The backup is a consistent copy (SQLite's backup API) in ``backups/`` of the
    data folder, owner-only on POSIX, named after the first pending migration."""
    db_path = kelurahan_db_path(data_dir)
    conn = connect(db_path)
    try:
        result = MigrateResult(db_path, pending_migrations(conn, KELURAHAN_MIGRATIONS))
        if not result.pending or dry_run:
            return result
        result.backup = _backup_copy(conn, data_dir, result.pending[0][:4])
        enrollments.register_functions(conn)  # what the migrations call
        result.applied = apply_migrations(conn, KELURAHAN_MIGRATIONS)
        # a database restored from an older backup: its restore's entry comes first
        backup_trail.record_pending_restore(conn, data_dir)
        with transaction(conn):
            record_audit_entry(conn, SYSTEM, "site.migrate", None,
                               {"migrations": [None, ", ".join(result.applied)]})
        return result
    finally:
        conn.close()


def _backup_copy(conn: sqlite3.Connection, data_dir: Path, before: str) -> Path:
    folder = private_folder(data_dir / "backups")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"kelurahan-sebelum-migrasi-{before}-{stamp}.db"
    partial = path.with_suffix(".db.partial")
    target = sqlite3.connect(str(partial))
    try:
        conn.backup(target)
    finally:
        target.close()
    if os.name != "nt":
        os.chmod(partial, 0o600)
    partial.replace(path)  # only a complete copy carries the final name
    return path
