"""Where berjasa keeps its files: the data folder and the files inside it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "BERJASA_DATA_DIR"


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
