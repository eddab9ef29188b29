"""Fixtures for central: every test runs on SQLite (a real file) and on the real
PostgreSQL (tests/conftest.py's throw-away database, a schema per test), behind a real
waitress server on 127.0.0.1. PostgreSQL being down is an error, not a skip.

``database_url`` is a fresh empty database (for tests of ``central init`` and of
migrating); ``central`` runs on a database as a fresh migrate leaves it, taken
from tests/central_databases.py (a copied SQLite file, a reset PostgreSQL schema)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from berjasa.background_server import BackgroundServer
from berjasa.settings import AppConfig, load_settings
from berjasa.synthetic import approved_records, born_on
from central.app import create_app, stop_waiting, waitress_options
from central.devices import create_registration_code
from central.storage.db import Database
from sync import protocol
from sync.protocol_auth import generate_private_key, public_key_text, sign_request
from tests.central_databases import schema_url

KELURAHAN_A = "73.71.01.1001"
KELURAHAN_B = "73.71.02.1001"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each central test runs on both backends."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty central database URL on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    base = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(5)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def migrated_database_url(backend: str, migrated_databases) -> str:
    """A central database URL on each backend as a fresh ``central migrate``
    leaves it (tests/conftest.py)."""
    return migrated_databases(backend)


@dataclass
class Central:
    """A running central: its URL, database URL, data folder and settings."""

    url: str
    database_url: str
    data_dir: Path
    settings: dict[str, Any]

    _shared: Database | None = field(default=None, init=False, repr=False)

    def db(self) -> Database:
        """A new connection to the central database (close it)."""
        return Database(self.database_url, data_dir=self.data_dir)

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows of a query, on the test's own connection (autocommit on both
        backends: each query sees what central has committed)."""
        return self._connection().query(sql, params)

    def change(self, sql: str, params: tuple | list = ()) -> None:
        """A direct write in a transaction of its own (a state older code left
        behind, or a step outside the test)."""
        db = self.db()
        try:
            with db.transaction():
                db.run(sql, params)
        finally:
            db.close()

    def code(self, kelurahan: str = KELURAHAN_A, ttl_minutes: int = 60) -> str:
        """A one-time registration code."""
        return create_registration_code(self._connection(), kelurahan, ttl_minutes)["code"]

    def _connection(self) -> Database:
        """The test's connection for :meth:`query` and :meth:`code`, opened on
        first use (a PostgreSQL connection costs both sides a few ms)."""
        if self._shared is None:
            self._shared = Database(self.database_url, data_dir=self.data_dir)
        return self._shared

    def close(self) -> None:
        """Close the test's connection (before the database is reset or dropped)."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def register(self, kelurahan: str = KELURAHAN_A) -> Device:
        """A registered device with its own key."""
        key = generate_private_key()
        answer = requests.post(f"{self.url}/api/v1/devices/register", timeout=10, json={
            "code": self.code(kelurahan), "public_key": public_key_text(key),
            "kelurahan_code": kelurahan, "label": "Laptop uji"})
        assert answer.status_code == 201, answer.text
        return Device(self, answer.json()["device_id"], kelurahan, key)


@dataclass
class Device:
    """A kelurahan laptop as central sees it (the agent's side, minimal)."""

    central: Central
    device_id: str
    kelurahan: str
    key: Any

    def batch(self, records: list[dict], **kwargs: Any) -> protocol.Batch:
        """A batch of these records from this device."""
        return protocol.new_batch(self.device_id, kwargs.pop("kelurahan", self.kelurahan),
                                  records, **kwargs)

    def post(self, batch: protocol.Batch, body: bytes | None = None,
             headers: dict | None = None) -> requests.Response:
        """POST a batch (encoded and signed unless body/headers are given)."""
        encoded_body, encoded_headers = protocol.encode_batch(batch, self.key)
        return requests.post(f"{self.central.url}/api/v1/batches", timeout=30,
                             data=encoded_body if body is None else body,
                             headers=encoded_headers if headers is None else headers)

    def send(self, records: list[dict]) -> list[dict]:
        """Send records in one batch; the per-record results."""
        batch = self.batch(records)
        answer = self.post(batch)
        assert answer.status_code == 200, answer.text
        return protocol.decode_results(answer.content, batch)

    def updates(self, since: str = "0", limit: int | None = None) -> requests.Response:
        """A signed GET of the updates after ``since``."""
        path = f"/api/v1/updates?since={since}" + (f"&limit={limit}" if limit else "")
        headers = sign_request(self.key, self.device_id, "GET", path)
        return requests.get(f"{self.central.url}{path}", headers=headers, timeout=10)


def records(count: int, kelurahan: str = KELURAHAN_A, seed: int = 1) -> list[dict]:
    """Synthetic approved records for a kelurahan."""
    return approved_records(count, kelurahan, seed=seed)


def flagged_pair(central) -> tuple[Any, Any, dict, dict, dict]:
    """Two laptops (kelurahan A and B) each send the same person under two spellings
    of the name and one birth date: central flags the pair. (laptop A, laptop B, A's
    record, B's record, the pair's central ids)."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = {**records(1, KELURAHAN_A)[0], "full_name": "Muh. Ridwan Daeng Tompo"}
    second = born_on({**records(1, KELURAHAN_B, seed=3)[0], "full_name": "MUHAMMAD RIDWAN DG. TOMPO"},
                     first["birth_date"])
    a.send([first])
    b.send([second])
    pair = central.query("SELECT central_id_a, central_id_b FROM duplicate_flags")[0]
    return a, b, first, second, pair


def start_central(database_url: str, data_dir: Path, **overrides: Any) -> tuple[Any, Central]:
    """Create the app and serve it on a free port in a thread."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir, overrides)
    app = create_app(AppConfig(data_dir, settings, database_url=database_url))
    server = BackgroundServer(app, threads=4, on_stop=lambda: stop_waiting(app),
                              **waitress_options(settings)).start()
    server.berjasa_pool = app.extensions.get("berjasa_central_pool")  # PostgreSQL only
    return server, Central(f"http://127.0.0.1:{server.effective_port}", database_url, data_dir,
                           settings)


@pytest.fixture
def central_settings() -> dict[str, Any]:
    """Settings a test module wants changed in its ``central`` (override this fixture)."""
    return {}


@pytest.fixture
def central(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
            central_settings: dict[str, Any]) -> Iterator[Central]:
    """A running central on a freshly migrated database (both backends); on the
    test's ``database_url`` when it asks for one too (migrated by central)."""
    if "database_url" in request.fixturenames:
        url = request.getfixturevalue("database_url")
    else:
        url = request.getfixturevalue("migrated_database_url")
    server, running = start_central(url, tmp_path / "central-data", **central_settings)
    try:
        yield running
    finally:
        running.close()
        server.close()
        if server.berjasa_pool is not None:  # give the connections back now, not at exit
            server.berjasa_pool.close()
