"""Real pieces for the sync tests: kelurahan data folders with approved records,
a central registry (in a thread, or as a process that can be killed with -9) on
SQLite or PostgreSQL, device registration, the agent as a process, and queries
that check the exactly-once outcome on both sides."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import zstandard

from berjasa.database import connect
from berjasa.settings import load_settings, read_app_config
from berjasa.synthetic import EnrollmentFaker
from central.storage.db import Database, utc_now
from central.storage.updates import add_updates
from server import lifecycle
from server.install import init_kelurahan
from server.intake import create_batch
from server.storage.audit import Actor
from sync.keys import register_device
from tests.central_databases import new_schema_url
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
ENUMERATOR = Actor("enumerator", "enumerator")
SUPERVISOR = Actor("supervisor", "supervisor")
FAST = {"sync_connect_timeout_seconds": 3.0, "sync_read_timeout_seconds": 10.0,
        "sync_lease_seconds": 2.0, "sync_run_seconds": 50.0}


# --- kelurahan side -----------------------------------------------------------


def make_kelurahan(folder: Path, code: str) -> Path:
    """An initialised kelurahan data folder (no users: the agent needs none)."""
    init_kelurahan(folder, code)
    return folder


def seed_approved(folder: Path, count: int, seed: int = 1, start: int = 0,
                  **overrides: Any) -> list[str]:
    """``count`` valid enrollments recorded and approved; their ids."""
    faker = EnrollmentFaker(load_settings(folder)["kelurahan_code"], seed=seed)
    items = []
    for _ in range(count):
        item = faker.enrollment()
        item.update({k: v for k, v in overrides.items()})
        items.append(item)
    settings = load_settings(folder)
    conn = connect(folder / "kelurahan.db")
    # Test data, not a write under test: no fsync per approval on this connection
    # (450 records: 2.4 s -> 0.5 s). Safe against a killed process all the same;
    # only a power cut could lose what the OS had not yet written.
    conn.execute("PRAGMA synchronous=OFF")
    try:
        results = create_batch(conn, items, ENUMERATOR, settings)
        ids = [r["id"] for r in results if r["status"] in (200, 201)]
        assert len(ids) == count, [r for r in results if r["status"] not in (200, 201)][:2]
        for record_id in ids:
            lifecycle.transition(conn, record_id, "approved", SUPERVISOR,
                                 extra={"reviewed_by": "supervisor", "reviewed_at": "2025-10-07T08:00:00+00:00"})
    finally:
        conn.close()
    return ids


def kelurahan_rows(folder: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of a query on a kelurahan register."""
    conn = connect(folder / "kelurahan.db")
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def statuses(folder: Path) -> dict[str, str]:
    """Record id -> status in a kelurahan register."""
    return {r["id"]: r["status"] for r in kelurahan_rows(folder, "SELECT id, status FROM enrollments")}


def agent_settings(folder: Path, **overrides: Any) -> dict[str, Any]:
    """The agent's settings for a folder, with the fast test timeouts."""
    return load_settings(folder, {**FAST, **overrides})


# --- central side -------------------------------------------------------------


@dataclass
class Central:
    """A central registry reachable at ``url`` on ``database_url``."""

    url: str
    database_url: str
    data_dir: Path
    process: subprocess.Popen | None = None
    server: Any = None
    port: int = 0
    pool: Any = None  # the in-thread app's PostgreSQL connections

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows of a query on central's database."""
        db = Database(self.database_url, data_dir=self.data_dir)
        try:
            return db.query(sql, params)
        finally:
            db.close()

    def add_updates(self, entries: list[dict[str, Any]]) -> None:
        """Central's decisions for kelurahan laptops (registered, rejected, eligibility
        results...), written to its updates in one transaction, for the next pull."""
        db = Database(self.database_url, data_dir=self.data_dir)
        try:
            with db.transaction():
                add_updates(db, entries, utc_now())
        finally:
            db.close()

    def code(self, kelurahan: str) -> str:
        """A one-time registration code for a kelurahan."""
        from central.devices import create_registration_code

        db = Database(self.database_url, data_dir=self.data_dir)
        try:
            return create_registration_code(db, kelurahan, 60)["code"]
        finally:
            db.close()

    def register(self, folder: Path) -> dict[str, Any]:
        """Register the kelurahan folder's agent as a device of this central."""
        settings = agent_settings(folder)
        conn = connect(folder / "kelurahan.db")
        try:
            return register_device(conn, folder, self.url, self.code(settings["kelurahan_code"]), settings)
        finally:
            conn.close()

    def kill(self) -> None:
        """kill -9 the central process."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def start(self) -> None:
        """(Re)start central as a process on the same port and wait until it answers."""
        # the child keeps its own copy of the log's descriptor: ours is closed at once
        with open(self.data_dir / "central.log", "ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("central_process.py")), self.database_url,
                 str(self.port), str(self.data_dir)], cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=log_file)
        wait_healthy(self.url, self.process)

    def stop(self) -> None:
        """Stop central, whatever runs it."""
        if self.server is not None:
            self.server.close()
        if self.pool is not None:  # give the connections back now, not at exit
            self.pool.close()
        self.kill()


def wait_healthy(url: str, process: subprocess.Popen | None = None, seconds: float = 30) -> None:
    """Wait until ``url``/health answers 200."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"central exited with {process.returncode}")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def central_in_thread(database_url: str, data_dir: Path, port: int = 0) -> Central:
    """Central's app behind waitress in a thread of this process (on ``port``:
    a stopped one started again where its devices know it)."""
    from berjasa.background_server import BackgroundServer
    from central.app import create_app, stop_waiting

    data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(read_app_config(data_dir, database_url=database_url))
    server = BackgroundServer(app, port=port, threads=6, on_stop=lambda: stop_waiting(app)).start()
    url = f"http://127.0.0.1:{server.effective_port}"
    return Central(url, database_url, data_dir, server=server, port=server.effective_port,
                   pool=app.extensions.get("berjasa_central_pool"))


def central_process(database_url: str, data_dir: Path) -> Central:
    """Central as its own process (so a test can kill -9 it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    central = Central(f"http://127.0.0.1:{port}", database_url, data_dir, port=port)
    central.start()
    return central


def database_urls(backend: str, tmp: Path, pg_base: str | None) -> str:
    """A fresh central database URL for a backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'central.db'}"
    assert pg_base is not None
    return new_schema_url(pg_base)


# --- the agent as a process ---------------------------------------------------


def agent_process(folder: Path, crash_at: str | None = None, central_url: str | None = None,
                  extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """``berjasa sync run --once --json`` for a folder, as a child process."""
    env = {**os.environ, **{f"BERJASA_{k.upper()}": str(v) for k, v in FAST.items()}}
    env.pop("BERJASA_SYNC_CRASH_AT", None)
    if crash_at:
        env["BERJASA_SYNC_CRASH_AT"] = crash_at
    if central_url:
        env["BERJASA_SYNC_CENTRAL_URL"] = central_url
    env.update(extra_env or {})
    return subprocess.Popen(
        [sys.executable, "-c", "from berjasa.cli import main; main()", "sync", "run", "--once",
         "--json", "--data-dir", str(folder)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def held_at_central(central: Central, kelurahan: str) -> dict[str, list[str]]:
    """record_id -> [status, ...] for one kelurahan at central (a list, so a
    duplicate row would show)."""
    held: dict[str, list[str]] = {}
    for row in central.query("SELECT record_id, status FROM records WHERE kelurahan_code = ?",
                             (kelurahan,)):
        held.setdefault(row["record_id"], []).append(row["status"])
    return held


def iter_backends(include_pg: bool = True) -> Iterator[str]:
    """The central backends to test."""
    yield "sqlite"
    if include_pg:
        yield "postgresql"


# -- what a data folder still holds (personal-data erasure tests) ----------------------

def readable_texts(folder: Path) -> dict[str, bytes]:
    """Every file of the folder (recursively), plus every zstd frame found in
    them and every stored batch body, decompressed."""
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            texts[str(path)] = raw
            start = raw.find(b"\x28\xb5\x2f\xfd")
            while start >= 0:
                try:
                    reader = zstandard.ZstdDecompressor().stream_reader(raw[start:])
                    texts[f"{path}@{start}"] = reader.read(64 * 1024 * 1024)
                except zstandard.ZstdError:
                    pass
                start = raw.find(b"\x28\xb5\x2f\xfd", start + 1)
    conn = connect(folder / "kelurahan.db")
    try:
        for row in conn.execute("SELECT batch_id, body FROM sync_batches"):
            if row["body"]:
                texts[f"batch {row['batch_id']}"] = zstandard.ZstdDecompressor().stream_reader(
                    bytes(row["body"])).read(64 * 1024 * 1024)
    finally:
        conn.close()
    return texts


def found(texts: dict[str, bytes], needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for each needle still present, case-insensitive."""
    hits = []
    for name, raw in texts.items():
        low = raw.lower()
        for needle in needles:
            if needle.lower().encode() in low:
                hits.append((name, needle))
    return hits
