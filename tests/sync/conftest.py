"""Fixtures of the sync tests: a running central on each backend and a kelurahan
folder registered at it (tests/reliability/harness.py does the work). A test
module may override ``central`` or ``kelurahan`` with its own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.01.1001"


@pytest.fixture(scope="session")
def pg_base(pg_database):
    """The run's throw-away PostgreSQL database (tests/conftest.py): each central
    gets its own schema in it."""
    return pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request, tmp_path, migrated_databases):
    """A running central on a freshly migrated database, on each backend."""
    running = h.central_in_thread(migrated_databases(request.param), tmp_path / "central")
    yield running
    running.stop()


@pytest.fixture
def kelurahan(tmp_path, central):
    """Kelurahan A's data folder, registered at central."""
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    return folder
