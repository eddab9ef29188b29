"""`berjasa sync resend`: after central was restored from an older backup, the
records it lost reach it again, and the ones it kept are not doubled
(docs/sync-agent.md, "After central was restored")."""

from __future__ import annotations

import json
import shutil

from sync.agent import run_once
from tests.helpers import berjasa

from .conftest import A, h


def _copy_database(source, target) -> None:
    """central's SQLite file with its WAL, as a backup holds it (central stopped)."""
    target.mkdir(exist_ok=True)
    for old in target.glob("c.db*"):
        old.unlink()
    for part in source.glob("c.db*"):
        shutil.copy2(part, target / part.name)


def test_records_central_lost_in_a_restore_reach_it_again_once(tmp_path):
    database = tmp_path / "db"
    database.mkdir()
    url = f"sqlite:///{database / 'c.db'}"
    central = h.central_in_thread(url, tmp_path / "central")
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    try:
        central.register(folder)
        kept = h.seed_approved(folder, 3, seed=81)
        assert run_once(folder, h.agent_settings(folder), "test").ok
        central.stop()
        _copy_database(database, tmp_path / "backup")  # the office's nightly backup
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        lost = h.seed_approved(folder, 4, seed=82)
        assert run_once(folder, h.agent_settings(folder), "test").ok
        central.stop()
        _copy_database(tmp_path / "backup", database)  # central restored: `lost` is gone
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        assert set(h.held_at_central(central, A)) == set(kept)
        assert set(h.statuses(folder).values()) == {"synced"}

        answer = berjasa("sync", "resend", "--json", data_dir=folder, check=True)
        assert json.loads(answer.stdout.strip().splitlines()[-1]) == {"queued": 7}
        status = json.loads(berjasa("sync", "status", "--json", data_dir=folder,
                                    check=True).stdout.strip().splitlines()[-1])
        assert status["pending"]["records"] == 7
        report = run_once(folder, h.agent_settings(folder), "test")
        assert report.ok and report.records_sent == 7 and report.pending == 0, report.error
        assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in kept + lost}
        # the laptop's statuses did not move back, and nothing waits any more
        assert set(h.statuses(folder).values()) == {"synced"}
        # asked twice: central answers each with its earlier decision, one row each
        berjasa("sync", "resend", data_dir=folder, check=True)
        assert run_once(folder, h.agent_settings(folder), "test").ok
        assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in kept + lost}
        assert set(h.statuses(folder).values()) == {"synced"}
    finally:
        central.stop()
