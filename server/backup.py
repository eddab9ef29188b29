"""Encrypted backups of a kelurahan data folder (design.md: "the backup file is
encrypted: no NIK in clear").

The file is ``BERJASA-BACKUP-1`` + a JSON header line (KDF parameters, salt,
nonce, kelurahan, time) + AES-256-GCM ciphertext of a zstd-compressed zip holding
a consistent copy of the database (SQLite's online backup API, safe while the
server runs), the settings, the session key and the sync device key. The key is
derived from a passphrase with scrypt; the header is authenticated as associated
data, so changing it makes the file unreadable instead of silently different.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from berjasa import audit_seal
from berjasa.audit import SYSTEM, Actor
from berjasa.database import connect
from berjasa.os_errors import os_error_text
from berjasa.paths import (
    CENTRAL_EXCHANGE_FILE,
    DEVICE_KEY_FILE,
    kelurahan_db_path,
    open_private,
    private_folder,
    replace_patiently,
    tighten,
    write_private,
)
from server import backup_trail, field_dedupe

MAGIC = b"BERJASA-BACKUP-1\n"
DATABASE_NAME = "kelurahan.db"
# The folder's files a restored laptop needs besides the database: its settings, the
# page session key, the device key central knows it by, the privacy key (the audit
# seals and the pseudonyms), the marker that its trail was sealed (without it, seals
# deleted later would be sealed again instead of reported missing), the phones'
# duplicate-hint key and central's exchange key pinned at registration (without it a
# restored laptop could no longer sync by USB stick).
EXTRA_FILES = ("settings.toml", "secret_key", DEVICE_KEY_FILE, "privacy.key",
               audit_seal.SEALED_MARKER, field_dedupe.KEY_FILE, CENTRAL_EXCHANGE_FILE)
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 10
_scrypt = SCRYPT  # what new backups use in this process (use_scrypt_parameters)


class BackupError(Exception):
    """The backup cannot be written or read (wrong passphrase, damaged file...)."""


@dataclass
class BackupInfo:
    """What a backup holds (``sha256``: of the whole file; ``trail_last_seq``: the
    last seq of the audit trail in its database, when the header says it)."""

    path: Path
    kelurahan_code: str | None
    created_at: str
    files: list[str]
    size_bytes: int
    sha256: str = ""
    trail_last_seq: int | None = None


# The header is read before the key exists, so its KDF parameters are untrusted:
# bounded before use (n = 2**24 would ask scrypt for 16 GiB).
SCRYPT_BOUNDS = {"n": (2**10, 2**20), "r": (1, 32), "p": (1, 16)}
SCRYPT_MAX_MEMORY = 256 * 2**20  # bytes: 128 * n * r


def _checked_kdf(header: dict) -> dict:
    """The header's scrypt parameters, or BackupError when any is out of bounds."""
    if header.get("kdf", "scrypt") != "scrypt":
        raise BackupError(f"Cadangan memakai KDF yang tidak dikenal: {str(header.get('kdf'))[:40]!r}.")
    params = {}
    for name, (low, high) in SCRYPT_BOUNDS.items():
        value = header.get(name)
        if type(value) is not int or not low <= value <= high:
            raise BackupError(f"Kepala cadangan rusak: parameter KDF {name}={str(value)[:40]} di "
                              f"luar batas {low}..{high}; berkas bukan cadangan berjasa yang utuh.")
        params[name] = value
    if params["n"] & (params["n"] - 1) or 128 * params["n"] * params["r"] > SCRYPT_MAX_MEMORY:
        raise BackupError(f"Kepala cadangan rusak: parameter KDF n={params['n']}, r={params['r']} "
                          "tidak sah (harus pangkat 2, memori paling banyak 256 MiB).")
    return params


def use_scrypt_parameters(n: int, r: int, p: int) -> None:
    """Encrypt new backups with these scrypt parameters in this process. For the
    test suite only (tests/conftest.py: n=2**10, the least a backup may name), as
    :func:`berjasa.passwords.use_parameters` is for argon2: a backup then costs
    milliseconds instead of 0.4 s of CPU. Reading follows each file's own header;
    nothing in the product calls this, and a test checks that ``berjasa backup``
    writes :data:`SCRYPT`."""
    global _scrypt
    _scrypt = _checked_kdf({"n": n, "r": r, "p": p})


def _key(passphrase: str, salt: bytes, params: dict) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
    return kdf.derive(passphrase.encode("utf-8"))


def _database_copy(db_path: Path) -> tuple[bytes, str | None, int | None]:
    """A consistent copy of a live database through SQLite's backup API: its bytes,
    its kelurahan and the last seq of the audit trail it holds."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / DATABASE_NAME
        source = sqlite3.connect(db_path)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
            kelurahan = dest.execute("SELECT value FROM site WHERE key = 'kelurahan_code'"
                                     ).fetchone()
            last_seq = dest.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        finally:
            dest.close()
            source.close()
        return target.read_bytes(), (kelurahan[0] if kelurahan else None), last_seq


def create_backup(data_dir: Path, output: Path, passphrase: str) -> BackupInfo:
    """Write an encrypted backup of ``data_dir`` to ``output``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"Frasa sandi cadangan minimal {MIN_PASSPHRASE} karakter.")
    db_path = kelurahan_db_path(data_dir)
    if not db_path.exists():
        raise BackupError(f"Tidak ada database di {data_dir}.")
    database, kelurahan, last_seq = _database_copy(db_path)
    archive = io.BytesIO()
    files = [DATABASE_NAME]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(DATABASE_NAME, database)
        for name in EXTRA_FILES:
            if (data_dir / name).exists():
                zf.writestr(name, (data_dir / name).read_bytes())
                files.append(name)
    plain = zstandard.ZstdCompressor(level=10).compress(archive.getvalue())
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"format": 1, "kdf": "scrypt", **_scrypt, "salt": salt.hex(), "nonce": nonce.hex(),
              "cipher": "AES-256-GCM", "compression": "zstd", "kelurahan_code": kelurahan,
              "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "files": files, "trail_last_seq": last_seq}
    header_line = json.dumps(header, sort_keys=True).encode() + b"\n"
    cipher = AESGCM(_key(passphrase, salt, _scrypt)).encrypt(nonce, plain, MAGIC + header_line)
    whole = MAGIC + header_line + cipher
    temp = output.with_name(output.name + ".tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd = open_private(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            view = memoryview(whole)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)  # a full disk shows here, not after the rename
        finally:
            os.close(fd)
        replace_patiently(temp, output)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the folder may not even exist
            temp.unlink(missing_ok=True)  # never leave a partial file behind (full disk)
        raise BackupError(f"Tidak bisa menulis {output}: {os_error_text(exc)}") from exc
    return BackupInfo(output, kelurahan, header["created_at"], files, output.stat().st_size,
                      hashlib.sha256(whole).hexdigest(), last_seq)


def read_backup(path: Path, passphrase: str) -> tuple[dict, dict[str, bytes]]:
    """Decrypt a backup: its header (with ``sha256``, of the whole file) and its files."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"Tidak bisa membaca {path}: {os_error_text(exc)}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.startswith(MAGIC):
        raise BackupError(f"{path} bukan berkas cadangan berjasa.")
    header_line, _, cipher = raw[len(MAGIC):].partition(b"\n")
    try:
        header = json.loads(header_line)
        if not isinstance(header, dict):
            raise TypeError("header is not an object")
        key = _key(passphrase, bytes.fromhex(header["salt"]), _checked_kdf(header))
        plain = AESGCM(key).decrypt(bytes.fromhex(header["nonce"]), cipher,
                                    MAGIC + header_line + b"\n")
    except InvalidTag as exc:
        raise BackupError("Frasa sandi salah, atau berkas cadangan rusak/diubah.") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path}: kepala berkas cadangan rusak.") from exc
    archive = zstandard.ZstdDecompressor().decompress(plain, max_output_size=2**31)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {**header, "sha256": digest}, {name: zf.read(name) for name in zf.namelist()}


def _fold_wal(db_path: Path) -> None:
    """Checkpoint the database's WAL into it and leave WAL mode, so the file alone
    holds everything (it is moved aside with its -wal and -shm). A damaged file (the
    usual reason to restore) is left as it is: it moves aside whole, parts and all."""
    try:
        conn = sqlite3.connect(db_path)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        pass


def restore_backup(path: Path, data_dir: Path, passphrase: str, force: bool = False,
                   actor: Actor | None = None) -> BackupInfo:
    """Put a backup's files into ``data_dir``. An existing database is kept beside
    as ``kelurahan.db.before-restore-<time>`` and only replaced with ``force``.
    The restored trail then gets its ``site.restore`` entry, by ``actor``
    (server/backup_trail.py): at once, or with ``migrate`` for an older database."""
    header, files = read_backup(path, passphrase)
    if DATABASE_NAME not in files:
        raise BackupError("Cadangan tidak berisi database.")
    db_path = kelurahan_db_path(data_dir)
    if db_path.exists() and not force:
        raise BackupError(f"Sudah ada database di {data_dir}; pakai --force untuk menggantinya "
                          "(database lama disimpan di sebelahnya).")
    private_folder(data_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    previous_copy = f"{db_path.name}.before-restore-{stamp}" if db_path.exists() else None
    if db_path.exists():
        _fold_wal(db_path)  # the old file whole on its own: nothing depends on its -wal
    previous = backup_trail.trail_head(db_path)  # what the replaced trail had reached
    # every part moves aside, a -wal left by an earlier restore that stopped half-way
    # too: SQLite would replay a stale -wal into the restored database
    for suffix in ("", "-wal", "-shm"):
        old = Path(str(db_path) + suffix)
        if old.exists():
            replace_patiently(old, Path(f"{db_path}.before-restore-{stamp}{suffix}"))
    for name, content in files.items():
        if Path(name).name != name:
            raise BackupError(f"Nama berkas tidak sah di dalam cadangan: {name!r}")
        write_private(data_dir / name, content)  # 0600 from the first byte
    tighten(data_dir)
    backup_trail.note_restore(data_dir, actor or SYSTEM, path, header["sha256"],
                              header.get("created_at", ""), previous, previous_copy)
    try:
        conn = connect(db_path)
        try:
            backup_trail.record_pending_restore(conn, data_dir)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        pass  # the facts stay pending: `berjasa migrate` or `init` writes the entry
    return BackupInfo(path, header.get("kelurahan_code"), header.get("created_at", ""),
                      sorted(files), path.stat().st_size, header["sha256"],
                      header.get("trail_last_seq"))
