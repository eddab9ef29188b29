"""api: /api/v1/sync/status and /api/v1/sync/run on the kelurahan server (roles,
shape, "sync now" against a real central)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)


def test_status_before_registration(api):
    answer = api("supervisor").get("/api/v1/sync/status")
    assert answer.status_code == 200
    body = answer.json()
    assert body["registered"] is False and body["last_push"] is None
    assert body["pending"]["records"] == 0 and body["attempts"] == []


def test_status_roles(api):
    for user, status in [("supervisor", 200), ("admin", 200), ("auditor", 200), ("enumerator", 403)]:
        assert api(user).get("/api/v1/sync/status").status_code == status, user
    assert api().get("/api/v1/sync/status").status_code == 401
    for user in ("admin", "auditor", "enumerator"):
        assert api(user).post("/api/v1/sync/run", json={"wait": True}).status_code == 403, user


def test_sync_now_pushes_and_status_shows_it(api, data_dir, tmp_path):
    central = h.central_in_thread(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "central")
    try:
        central.register(data_dir)
        ids = h.seed_approved(data_dir, 5, seed=21)
        supervisor = api("supervisor")
        before = supervisor.get("/api/v1/sync/status").json()
        assert before["registered"] and before["pending"]["records"] == 5
        answer = supervisor.post("/api/v1/sync/run", json={"wait": True})
        assert answer.status_code == 200, answer.text
        assert answer.json()["records_sent"] == 5 and answer.json()["ok"] is True
        after = supervisor.get("/api/v1/sync/status").json()
        assert after["pending"]["records"] == 0
        assert after["statuses"]["synced"] == 5
        assert after["last_push"]["records_sent"] == 5 and after["last_error"] is None
        assert after["attempts"][0]["trigger"] == "supervisor"
        assert set(h.held_at_central(central, "73.71.01.1001")) == set(ids)
        assert supervisor.post("/api/v1/sync/run").status_code == 202
    finally:
        central.stop()


def test_an_error_a_later_run_overcame_is_shown_as_history(data_dir, tmp_path):
    """`sync status` and the panel showed the last failure as the state of things
    long after later runs had succeeded."""
    from sync.agent import run_once
    from sync.status import sync_status
    from tests.helpers import berjasa

    database_url = f"sqlite:///{tmp_path / 'c.db'}"
    central = h.central_in_thread(database_url, tmp_path / "central")
    try:
        central.register(data_dir)
        h.seed_approved(data_dir, 2, seed=23)
        central.stop()
        assert not run_once(data_dir, h.agent_settings(data_dir), "test").ok
        conn = h.connect(data_dir / "kelurahan.db")
        try:
            failing = sync_status(conn)
        finally:
            conn.close()
        assert failing["last_error"] and not failing["last_error_resolved"]
        text = berjasa("sync", "status", "--data-dir", str(data_dir)).stdout
        assert "Galat terakhir: pusat tidak dapat dihubungi: koneksi ditolak" in text, text
        central = h.central_in_thread(database_url, tmp_path / "central", central.port)
        assert run_once(data_dir, h.agent_settings(data_dir), "test").ok
        text = berjasa("sync", "status", "--data-dir", str(data_dir)).stdout
        assert "sudah teratasi: pengiriman sesudahnya berhasil" in text, text
        conn = h.connect(data_dir / "kelurahan.db")
        try:
            assert sync_status(conn)["last_error_resolved"] is True
        finally:
            conn.close()
    finally:
        central.stop()


def test_a_later_partial_run_that_sent_records_is_the_last_push(data_dir):
    """The panel showed the last fully "ok" run (15:42) over a later "partial" run
    that sent 5 records (15:44)."""
    from server.pages.sync_panel import sync_status as panel
    from sync import storage
    from sync.status import sync_status

    conn = h.connect(data_dir / "kelurahan.db")
    try:
        ok = storage.start_attempt(conn, "schedule")
        storage.finish_attempt(conn, ok, {"result": "ok", "records_sent": 3})
        partial = storage.start_attempt(conn, "schedule")
        storage.finish_attempt(conn, partial, {"result": "partial", "records_sent": 5,
                                               "error": "pusat tidak dapat dihubungi"})
        failed = storage.start_attempt(conn, "schedule")
        storage.finish_attempt(conn, failed, {"result": "failed", "records_sent": 0,
                                              "error": "pusat tidak dapat dihubungi"})
        status = sync_status(conn)
        shown = panel(conn)
    finally:
        conn.close()
    assert status["last_push"]["records_sent"] == 5 and status["last_push"]["result"] == "partial"
    assert status["attempts"][1]["id"] == partial
    assert shown["last_push_at"] == status["attempts"][1]["finished_at"]
    assert not status["last_error_resolved"]


def test_a_run_a_killed_agent_left_unfinished_is_closed_by_the_next_run(data_dir):
    """A run killed midway stayed 'running' forever: never pruned by the log retention,
    shown as still running. The next run (which holds the run lock) closes it."""
    from sync import storage
    from sync.agent import run_once

    conn = h.connect(data_dir / "kelurahan.db")
    try:
        killed = storage.start_attempt(conn, "schedule")
    finally:
        conn.close()
    report = run_once(data_dir, h.agent_settings(data_dir), "cli")  # not registered: fails, but it ran
    conn = h.connect(data_dir / "kelurahan.db")
    try:
        rows = {row["id"]: row for row in storage.recent_attempts(conn)}
    finally:
        conn.close()
    assert rows[killed]["finished_at"] is not None and rows[killed]["result"] == "failed"
    assert rows[killed]["error"] == storage.INTERRUPTED
    assert rows[report.attempt_id]["finished_at"] is not None
    assert rows[report.attempt_id]["error"] != storage.INTERRUPTED
