"""Where berjasa keeps its files: the data folder and the files inside it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "BERJASA_DATA_DIR"
# A registered laptop's keys (sync/keys.py writes them; a backup carries them).
DEVICE_KEY_FILE = "device_key.pem"  # the device's signing key, which central knows it by
CENTRAL_EXCHANGE_FILE = "central_exchange.pub"  # central's X25519 key, for USB files
# The OS lock (in the data folder's locks/) that one sync run, USB file or registration holds.
SYNC_RUN_LOCK = "sync-run.lock"


def resolve_data_dir(option: str | os.PathLike | None = None) -> Path:
    """Return the data folder: ``--data-dir``, else ``$BERJASA_DATA_DIR``, else the
    platform's user data folder (``%LOCALAPPDATA%\\berjasa`` on Windows)."""
    if option:
        return Path(option).expanduser().resolve()
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("berjasa", appauthor=False))


def kelurahan_db_path(data_dir: Path) -> Path:
    """The kelurahan register (SQLite) inside a data folder."""
    return data_dir / "kelurahan.db"


def settings_path(data_dir: Path) -> Path:
    """The settings file (TOML) inside a data folder."""
    return data_dir / "settings.toml"


def tighten(folder: Path) -> None:
    """Owner-only access on POSIX: ``folder`` and every folder inside it 0700,
    every file 0600 (symlinks are left alone). Windows keeps the per-user ACL of
    the profile folder; docs/operator-guide.md gives the steps for other places."""
    if os.name == "nt":  # pragma: no cover - ACLs, not mode bits
        return
    folder = Path(folder)
    os.chmod(folder, 0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            path = Path(root) / name
            if not path.is_symlink():
                os.chmod(path, 0o700)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                os.chmod(path, 0o600)


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) if needed and make it owner-only."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt":
        os.chmod(folder, 0o700)
    return folder


# On Windows a descriptor from os.open is in the C runtime's text mode unless
# O_BINARY is given: every LF written becomes CR LF (a backup, a USB file or a key
# that no longer reads back). Python's own open() and tempfile add it; os.open does not.
BINARY = getattr(os, "O_BINARY", 0)


def replace_patiently(source: Path | str, target: Path | str, tries: int = 10) -> None:
    """``os.replace``, tried again for a few seconds while Windows refuses it: an
    antivirus scan or the search indexer holds a file just written open for a moment
    (PermissionError), and the command would fail after its work was done."""
    for attempt in range(tries):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(0.3)


def open_private(path: Path | str, flags: int) -> int:
    """``os.open(path, flags)`` in binary mode, owner-only (0600) when it creates."""
    return os.open(path, flags | BINARY, 0o600)


def write_private(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` atomically, readable by the owner only from its
    first byte (never a moment at 0644): a crash leaves the old file or the new one."""
    path = Path(path)
    temp = path.with_name(path.name + ".tmp")
    fd = open_private(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if os.name != "nt":
        os.chmod(temp, 0o600)  # an older temp file keeps its mode through O_CREAT
    replace_patiently(temp, path)
    return path
