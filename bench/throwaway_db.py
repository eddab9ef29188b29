"""A throw-away central database for a benchmark run: a SQLite file in the run's
folder, or a PostgreSQL database of its own on the local server (trust auth, as
on this machine and in CI), dropped when the run ends, even on an error."""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@contextmanager
def throwaway_database(backend: str, folder: Path, name: str = "central",
                       pg_server: str = PG_SERVER, migrated: bool = False) -> Iterator[str]:
    """The URL of an empty database (``backend`` "sqlite" or "postgresql"), with
    central's migrations applied when ``migrated``."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / (name + '.db')}"
        if migrated:
            _migrate(url)
        yield url
        return
    import psycopg

    db_name = f"berjasa_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        url = f"{pg_server}/{db_name}"
        if migrated:
            _migrate(url)
        yield url
    finally:
        with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _migrate(url: str) -> None:
    from central.storage.db import Database, migrate

    db = Database(url)
    try:
        migrate(db)
    finally:
        db.close()


@contextmanager
def populated(backend: str, pg_server: str, name: str,
              populate: Callable[[str, Path, int], None], count: int
              ) -> Iterator[tuple[str, Path, float]]:
    """A temporary data folder and a throw-away central database filled by
    ``populate(url, folder, count)``: (url, folder, seconds the filling took)."""
    with tempfile.TemporaryDirectory(prefix=f"berjasa-{name}-bench-") as tmp:
        folder = Path(tmp)
        with throwaway_database(backend, folder, pg_server=pg_server) as url:
            started = time.perf_counter()
            populate(url, folder, count)
            yield url, folder, round(time.perf_counter() - started, 1)


def bench_arguments(description: str, count: str, default_count: int, requests: int,
                    backend: str) -> argparse.Namespace:
    """The command line a populated-database bench takes: ``--<count>``,
    ``--requests``, ``--backend`` and ``--pg-server``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{count}", type=int, default=default_count)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default=backend)
    parser.add_argument("--pg-server", default=PG_SERVER)
    return parser.parse_args()
