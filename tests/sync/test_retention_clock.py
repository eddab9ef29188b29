"""The daily retention purge does not run on a clock it has reason to distrust (h2's
report, item 6): a laptop clock set ahead made records rejected minutes ago, batch
bodies and the sync log look a year old and erased them for good, even right after
central had refused a sync for the clock. Clocks moved with libfaketime (`berjasa`
processes) and with the purge's own `now` (the scheduled agent's call)."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from berjasa.database import connect, transaction
from berjasa.settings import load_settings
from server import intake, review
from server.storage.audit import Actor
from sync import storage
from sync.agent import run_once
from sync.retention import purge_if_due
from tests.helpers import FAKETIME_LIB, berjasa, faketime_env

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

pytestmark = pytest.mark.skipif(not FAKETIME_LIB.exists(), reason="libfaketime is not installed")
AHEAD = "+400d"


@pytest.fixture
def central(tmp_path, migrated_databases):
    running = h.central_in_thread(migrated_databases("sqlite"), tmp_path / "central")
    yield running
    running.stop()


@pytest.fixture
def laptop(data_dir, central, records):
    """The test kelurahan, registered at central, with three records rejected just now."""
    central.register(data_dir)
    settings = load_settings(data_dir)
    conn = connect(data_dir / "kelurahan.db")
    try:
        for _ in range(3):
            item = records.enrollment()
            intake.create_enrollment(conn, item, Actor("enumerator", "enumerator"), settings)
            review.review_enrollment(conn, item["id"], "reject", "Bukan warga kelurahan ini",
                                     Actor("supervisor", "supervisor"), settings,
                                     settings["kelurahan_code"])
    finally:
        conn.close()
    return data_dir


def rejected(folder) -> int:
    return h.kelurahan_rows(folder, "SELECT count(*) AS n FROM enrollments"
                                    " WHERE status = 'rejected'")[0]["n"]


def test_a_clock_400_days_ahead_does_not_purge_and_says_why(laptop, api, tmp_path):
    # h3 item 5: a laptop that never purged, its central out of reach; a backup made
    # under the wrong clock writes an audit entry dated by it
    conn = connect(laptop / "kelurahan.db")
    with transaction(conn):
        conn.execute("UPDATE sync_device SET central_url = 'http://127.0.0.1:9'")
    conn.close()
    backup = berjasa("backup", str(tmp_path / "k_ft.bjb"), "--passphrase-stdin", "--data-dir",
                     str(laptop), stdin="frasa-sandi-cadangan-panjang\n", process=True,
                     env=faketime_env(AHEAD))
    assert backup.returncode == 0, backup.stderr
    ahead = berjasa("privacy", "purge", "--json", "--data-dir", str(laptop), process=True,
                    env=faketime_env(AHEAD))
    assert ahead.returncode == 1 and "Traceback" not in ahead.stderr
    [line] = ahead.stderr.strip().splitlines()
    assert line.startswith("Galat: Retensi tidak dijalankan: retensi belum pernah berjalan"), line
    assert "--clock-checked" in line and "WITA" in line
    assert rejected(laptop) == 3  # nothing erased
    # said in `sync status` and on the supervisor's panel, with the clock right again
    status = berjasa("sync", "status", "--data-dir", str(laptop))
    assert "Retensi tidak dijalankan" in status.stdout
    queue = api("supervisor").get("/").text
    assert 'id="retention-held-back"' in queue and "Retensi tidak dijalankan" in queue
    # the same clock would have erased them: a person who checked the clock says so
    forced = berjasa("privacy", "purge", "--json", "--clock-checked", "--by", "Rina",
                     "--data-dir", str(laptop), process=True, env=faketime_env(AHEAD))
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout.strip().splitlines()[-1])["rejected_erased"] == 3
    [entry] = h.kelurahan_rows(laptop, "SELECT actor, changes FROM audit_log"
                                       " WHERE action = 'privacy.purge'")
    assert entry["actor"] == "cli:Rina" and json.loads(entry["changes"])["clock_checked"] == [None, True]
    assert "Retensi tidak dijalankan" not in api("supervisor").get("/").text


def test_after_central_refused_the_clock_the_scheduled_purge_waits(laptop, caplog):
    refused = berjasa("sync", "run", "--once", "--data-dir", str(laptop), process=True,
                      env=faketime_env(AHEAD))
    assert refused.returncode != 0 and "stale_request" in refused.stderr + refused.stdout
    settings = load_settings(laptop)
    later = datetime.now(timezone.utc) + timedelta(days=400)
    with caplog.at_level(logging.WARNING, logger="berjasa.sync"):
        assert purge_if_due(laptop, settings, later) is None
        assert purge_if_due(laptop, settings, later) is None  # said once per reason
    held = [r.getMessage() for r in caplog.records if "retention purge held back" in r.getMessage()]
    assert len(held) == 1 and "pusat menolak sinkronisasi terakhir" in held[0]
    assert rejected(laptop) == 3
    conn = connect(laptop / "kelurahan.db")
    try:
        assert storage.retention_state(conn)["held_back"]["reason"] == "central_refused"
    finally:
        conn.close()
    # the clock put right: a run central accepts vouches for it, and the purge runs
    assert run_once(laptop, h.agent_settings(laptop), "test").ok
    counts = purge_if_due(laptop, settings, datetime.now(timezone.utc))
    assert counts is not None and counts["rejected_erased"] == 0  # rejected minutes ago
    assert rejected(laptop) == 3


def _accepted_run(folder, at: datetime) -> None:
    """A sync run central accepted, finished at ``at``."""
    conn = connect(folder / "kelurahan.db")
    try:
        with transaction(conn):
            conn.execute("INSERT INTO sync_attempts (started_at, finished_at, trigger, result)"
                         " VALUES (?, ?, 'schedule', 'ok')", (at.isoformat(),) * 2)
    finally:
        conn.close()


def test_a_clock_behind_the_stored_times_or_far_past_the_last_purge_waits(data_dir):
    settings = load_settings(data_dir)
    now = datetime.now(timezone.utc)
    assert purge_if_due(data_dir, settings, now) is None  # the first: no sync vouched yet
    _accepted_run(data_dir, now)
    assert purge_if_due(data_dir, settings, now) is not None  # the first purge
    assert purge_if_due(data_dir, settings, now - timedelta(days=2)) is None  # behind
    assert purge_if_due(data_dir, settings, now + timedelta(days=15)) is None  # > 14 days
    conn = connect(data_dir / "kelurahan.db")
    try:
        held = storage.retention_state(conn)["held_back"]
        assert held["reason"] == "ahead" and "setelah retensi terakhir" in held["message"]
        # a laptop off for a fortnight: a sync central accepted vouches for the clock
        with transaction(conn):
            conn.execute("INSERT INTO sync_attempts (started_at, finished_at, trigger, result)"
                         " VALUES (?, ?, 'schedule', 'ok')",
                         ((now + timedelta(days=15)).isoformat(),) * 2)
    finally:
        conn.close()
    assert purge_if_due(data_dir, settings, now + timedelta(days=15, minutes=5)) is not None
    assert purge_if_due(data_dir, settings, now + timedelta(days=16, minutes=6)) is not None
