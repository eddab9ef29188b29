"""Keyed pseudonyms and value tags (UU 27/2022 "pseudonimisasi"; docs/privacy.md).

Every data folder (kelurahan and central) holds its own random 32-byte key in the
file ``privacy.key`` (0600 on POSIX). From it:

* :func:`pseudonym` names an erased identifier (a NIK) without holding it:
  ``p1:`` + the first 32 hex digits of HMAC-SHA256(key, "nik:" + value). A NIK has
  little entropy (region, birth date, a 4-digit serial: about 10^6 guesses once the
  region and birth year are known), so a plain hash is reversed in seconds; without
  the key the HMAC gives nothing to guess against.
* :func:`value_tag` is what the audit chain holds instead of a personal value:
  ``h1:`` + HMAC-SHA256(key, "audit\\n<seq>\\n<field>\\n<canonical JSON of value>").
  An auditor given the value (and the key's holder) can prove it was that value.

Nothing else is kept beside a pseudonym that narrows a guess (no birth year, sex,
RT/RW). The key never leaves the data folder except inside an encrypted backup.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from berjasa.canonical import canonical_text
from berjasa.paths import open_private

KEY_FILE = "privacy.key"
PSEUDONYM_PREFIX = "p1:"
TAG_PREFIX = "h1:"
_cache: dict[str, bytes] = {}
_key_files: dict[str, str] = {}  # SQLite database file -> its folder's key file (as text)
_lock = threading.Lock()


def key_path(data_dir: Path) -> Path:
    """The key file of a data folder."""
    return Path(data_dir) / KEY_FILE


# How long a reader waits for a key file that another process has just created to
# hold its key, before calling it damaged (the damaged-file tests set it short).
KEY_WRITE_WAIT_SECONDS = 1.0


def load_key(data_dir: Path) -> bytes:
    """The data folder's pseudonym key, made (32 random bytes, 0600) on first use.
    Two processes making it at once agree: the file is created exclusively."""
    path = key_path(data_dir)
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    with _lock:
        try:
            fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        for _ in range(max(1, round(KEY_WRITE_WAIT_SECONDS / 0.02))):
            text = path.read_text(encoding="ascii").strip()
            if len(text) == 64:
                break
            threading.Event().wait(0.02)  # the other process may still be writing it
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != 32:
            # never silently a new key: every pseudonym and audit tag depends on it
            raise ValueError(f"{path} rusak (bukan kunci 64 digit heksadesimal); pulihkan dari "
                             "cadangan terenkripsi")
        _cache[str(path)] = key
        return key


def key_for_connection(conn: sqlite3.Connection) -> bytes:
    """The key of the data folder that holds this SQLite database. Every audited
    write asks, so the key file's name is kept per database file (building the
    paths cost more than the PRAGMA; a connection from :func:`berjasa.database.connect`
    knows its file without one); the key itself stays in :data:`_cache` alone, so
    forgetting that forgets both."""
    database = (getattr(conn, "database_file", "")
                or conn.execute("PRAGMA database_list").fetchone()[2])
    key_file = _key_files.get(database)
    if key_file is None:
        key_file = _key_files[database] = str(key_path(Path(database).parent))
    return _cache.get(key_file) or load_key(Path(key_file).parent)


def pseudonym(key: bytes, value: str, kind: str = "nik") -> str:
    """The keyed pseudonym of an identifier (the same value and key give the same one)."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def pseudonyms(key: bytes, values: Iterable[str], kind: str = "nik") -> dict[str, str]:
    """{value: :func:`pseudonym`} of many values at once (intake looks up a whole
    batch's NIKs): OpenSSL's one-shot HMAC, about half the cost of ``hmac.new``."""
    prefix = f"{kind}:".encode()
    return {value: PSEUDONYM_PREFIX + hmac.digest(key, prefix + value.encode(), "sha256").hex()[:32]
            for value in values}


def canonical(value: Any) -> str:
    """The text a value is tagged as (compact, key-sorted JSON)."""
    return canonical_text(value)


def value_tag(key: bytes, seq: int, field: str, value: Any) -> str | None:
    """The audit chain's stand-in for a personal value; None stays None."""
    if value is None:
        return None
    message = f"audit\n{seq}\n{field}\n{canonical(value)}".encode()
    return TAG_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()
