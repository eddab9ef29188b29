"""Setting up a kelurahan laptop: the data folder, the database and its
migrations. Running it again applies new migrations and changes nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from berjasa import reference
from berjasa.database import apply_migrations, connect, transaction
from berjasa.paths import kelurahan_db_path, private_folder, tighten
from berjasa.settings import write_setting
from server.storage.audit import SYSTEM, record_audit_entry
from server.storage.users import get_site, set_site


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
        applied = apply_migrations(conn, "migrations.kelurahan")
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
    finally:
        conn.close()
    write_setting(data_dir, "kelurahan_code", region.code)
    tighten(data_dir)
    return InitResult(data_dir, db_path, region.code, region.name, applied)
