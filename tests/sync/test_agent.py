"""sync agent: approved records reach a real central exactly once, answers and
pulled decisions come back, central down ends a run quickly with one clear line.
Central runs on SQLite and on PostgreSQL; kelurahan registers are real files."""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from berjasa.database import connect
from berjasa.folder_lock import lock_dir, try_lock
from sync import storage
from sync.agent import RUN_LOCK, run_once
from sync.keys import KEY_FILE, load_device, write_key
from sync.packing import build_batch
from sync.protocol_auth import generate_private_key, public_key_text
from sync.scheduler import backoff_seconds
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A, B = "73.71.01.1001", "73.71.02.1001"


def test_approved_records_reach_central_exactly_once(central, kelurahan):
    approved = h.seed_approved(kelurahan, 30, seed=3)
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok and report.result == "ok", report
    assert (report.records_sent, report.accepted, report.pending) == (30, 30, 0)
    held = h.held_at_central(central, A)
    assert held == {rid: ["accepted"] for rid in approved}
    rows = h.kelurahan_rows(kelurahan, "SELECT status, central_status FROM enrollments")
    assert {(r["status"], r["central_status"]) for r in rows} == {("synced", "accepted")}
    again = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert again.ok and again.records_sent == 0
    assert len(central.query("SELECT batch_id FROM batches")) == 1
    attempts = h.kelurahan_rows(kelurahan, "SELECT result, records_sent FROM sync_attempts ORDER BY id")
    assert attempts == [{"result": "ok", "records_sent": 30}, {"result": "ok", "records_sent": 0}]


def test_only_approved_records_leave(central, kelurahan):
    h.seed_approved(kelurahan, 2, seed=4)
    conn = connect(kelurahan / "kelurahan.db")
    conn.execute("UPDATE enrollments SET status = 'submitted' WHERE rowid = (SELECT min(rowid) FROM enrollments)")
    conn.close()
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok and report.records_sent == 1
    assert len(h.held_at_central(central, A)) == 1


def test_stored_batch_is_resent_byte_identical_and_answered_once(central, kelurahan):
    h.seed_approved(kelurahan, 12, seed=5)
    settings = h.agent_settings(kelurahan, sync_batch_size=5)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 5)
    # Central got this batch and committed it, but the answer was lost on the way.
    import requests
    first = requests.post(central.url + "/api/v1/batches", data=built["body"], headers=built["headers"])
    assert first.status_code == 200
    report = run_once(kelurahan, settings, "test")
    assert report.ok and report.records_sent == 12 and report.batches_sent == 3
    stored = storage.get_batch(conn, built["batch_id"])
    assert stored["state"] == "answered" and stored["answer"] == first.content
    conn.close()
    assert all(v == ["accepted"] for v in h.held_at_central(central, A).values())
    assert len(h.held_at_central(central, A)) == 12
    assert len(central.query("SELECT batch_id FROM batches")) == 3


def test_pull_brings_kpj_number_and_rejection(central, kelurahan):
    ids = h.seed_approved(kelurahan, 3, seed=6)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    central.add_updates([
        {"kelurahan_code": A, "record_id": ids[0], "kind": "registered", "central_status": "registered",
         "kpj_number": "25012345678"},
        {"kelurahan_code": A, "record_id": ids[1], "kind": "rejected", "central_status": "rejected",
         "reasons": ["bpjs_active_participant"]},
    ])
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok and report.updates_applied == 2
    rows = {r["id"]: r for r in h.kelurahan_rows(kelurahan, "SELECT * FROM enrollments")}
    assert (rows[ids[0]]["status"], rows[ids[0]]["kpj_number"]) == ("registered", "25012345678")
    assert rows[ids[1]]["status"] == "central_rejected"
    assert rows[ids[1]]["central_reason"] == "rejected: bpjs_active_participant"
    assert rows[ids[2]]["status"] == "synced"
    # Applying the same page again (cursor lost) changes nothing.
    conn = connect(kelurahan / "kelurahan.db")
    conn.execute("UPDATE sync_state SET value = '0' WHERE key = 'updates_cursor'")
    conn.close()
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").updates_applied == 0


def test_duplicate_nik_from_second_kelurahan_comes_back_central_rejected(central, kelurahan, tmp_path):
    first = h.seed_approved(kelurahan, 2, seed=7)
    original = h.kelurahan_rows(kelurahan, "SELECT nik, birth_date, sex FROM enrollments WHERE id = ?",
                                (first[0],))[0]
    other = h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(other)
    duplicate = h.seed_approved(other, 1, seed=8, **original)[0]
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    report = run_once(other, h.agent_settings(other), "test")
    assert report.ok and report.central_rejected == 1
    row = h.kelurahan_rows(other, "SELECT status, central_status, central_reason FROM enrollments")[0]
    assert (row["status"], row["central_status"]) == ("central_rejected", "duplicate")
    assert row["central_reason"] == f"duplicate_nik: kelurahan {A}, data {first[0]}"
    assert h.held_at_central(central, B) == {duplicate: ["duplicate"]}
    # Kelurahan A hears that its worker's NIK was sent elsewhere too.
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    notices = h.kelurahan_rows(kelurahan, "SELECT enrollment_id, kind FROM sync_notices")
    assert notices == [{"enrollment_id": first[0], "kind": "duplicate_elsewhere"}]


def test_second_run_while_one_holds_the_lease_is_busy(central, kelurahan):
    h.seed_approved(kelurahan, 1, seed=9)
    conn = connect(kelurahan / "kelurahan.db")
    # A live run holds the OS run lock (and the lease row).
    live = try_lock(lock_dir(kelurahan) / RUN_LOCK)
    assert storage.acquire_lease(conn, "other-laptop-process", 30)
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert (report.ok, report.result, report.records_sent) == (False, "busy", 0)
    live.release()  # its process ended without giving the lease back
    conn.close()
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").records_sent == 1


@pytest.mark.slow
@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_a_killed_agent_never_blocks_the_next_run(central, kelurahan):
    """kill -9 in the middle of a run (central stalls), then `sync run --once`
    takes over at once although the lease row has 60 s left."""
    h.seed_approved(kelurahan, 3, seed=11)
    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(8)  # accepts, never answers
    env = {"BERJASA_SYNC_LEASE_SECONDS": "60"}
    agent = h.agent_process(kelurahan, central_url=f"http://127.0.0.1:{stall.getsockname()[1]}",
                            extra_env=env)
    try:
        deadline = time.monotonic() + 30
        while not h.kelurahan_rows(kelurahan, "SELECT 1 FROM sync_lease WHERE expires_at > ?",
                                   (time.time(),)):
            assert time.monotonic() < deadline and agent.poll() is None
            time.sleep(0.05)
        agent.send_signal(signal.SIGKILL)
        agent.communicate(timeout=30)
    finally:
        stall.close()
    assert agent.returncode == -signal.SIGKILL
    assert h.kelurahan_rows(kelurahan, "SELECT 1 FROM sync_lease WHERE expires_at > ?",
                            (time.time() + 30,))  # the dead run's lease is still "valid"
    started = time.monotonic()
    again = h.agent_process(kelurahan, central_url=central.url, extra_env=env)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert '"result": "ok"' in out and time.monotonic() - started < 30


def _run_cli(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return berjasa("sync", *args, data_dir=folder, env=env)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_register_run_status(backend, tmp_path):
    central = h.central_in_thread(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "central")
    try:
        folder = h.make_kelurahan(tmp_path / "kel", A)
        answer = _run_cli(folder, "register", "--central", central.url, "--code", central.code(A))
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip().splitlines()[-1].startswith("dev-")
        assert (folder / "device_key.pem").exists()
        h.seed_approved(folder, 4, seed=10)
        ran = _run_cli(folder, "run", "--once")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("ok: 4 data terkirim")
        status = _run_cli(folder, "status")
        assert status.stdout.strip().splitlines()[-1] == "0"
    finally:
        central.stop()


def test_central_down_once_exits_non_zero_fast_with_one_line(tmp_path):
    central = h.central_in_thread(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "central")
    folder = h.make_kelurahan(tmp_path / "kel", A)
    central.register(folder)
    h.seed_approved(folder, 3, seed=11)
    central.stop()
    started = time.monotonic()
    # one retry (not two): the retry path is taken, its pause is 0.5 s, not 1.5 s more
    ran = _run_cli(folder, "run", "--once", env={"BERJASA_SYNC_REQUEST_RETRIES": "1"})
    assert time.monotonic() - started < 60
    assert ran.returncode != 0
    lines = [line for line in ran.stderr.splitlines() if line.startswith("Galat:")]
    assert len(lines) == 1 and "Sinkronisasi gagal" in lines[0] and "Traceback" not in ran.stderr
    attempts = h.kelurahan_rows(folder, "SELECT result, error FROM sync_attempts")
    assert attempts[-1]["result"] == "failed" and attempts[-1]["error"]


@pytest.mark.slow
def test_hung_central_once_still_ends_within_a_minute(tmp_path, request):
    if not request.config.getoption("--slow"):
        pytest.skip("--slow: waits out the default timeouts (~50 s)")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)  # accepts TCP connections, never answers
    folder = h.make_kelurahan(tmp_path / "kel", A)
    key = generate_private_key()
    write_key(folder, key)
    h.seed_approved(folder, 2, seed=12)
    conn = connect(folder / "kelurahan.db")
    storage.save_device(conn, {"device_id": "dev-x", "kelurahan_code": A,
                               "central_url": f"http://127.0.0.1:{listener.getsockname()[1]}",
                               "key_file": KEY_FILE, "public_key": public_key_text(key),
                               "registered_at": "now"})
    conn.close()
    started = time.monotonic()
    ran = _run_cli(folder, "run", "--once")
    assert ran.returncode != 0 and time.monotonic() - started < 60


def test_backoff_doubles_with_jitter_and_caps():
    settings = {"sync_backoff_base_seconds": 30.0, "sync_backoff_max_seconds": 600.0}
    assert backoff_seconds(0, settings) == 0
    for failures, ceiling in [(1, 30), (2, 60), (3, 120), (10, 600)]:
        waits = [backoff_seconds(failures, settings) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1


def test_scheduled_agent_runs_and_reschedules(central, kelurahan):
    from sync.scheduler import SyncSchedule

    h.seed_approved(kelurahan, 3, seed=13)
    reports = []
    schedule = SyncSchedule(kelurahan, h.agent_settings(kelurahan), on_report=reports.append)
    schedule.start()
    try:
        deadline = time.monotonic() + 30
        while not reports and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        schedule.shutdown()
    assert reports and reports[0].ok and reports[0].records_sent == 3
    assert reports[0].attempt_id is not None
    assert len(h.held_at_central(central, A)) == 3


def _posted_batches(caplog) -> list[str]:
    return [r.batch_id for r in caplog.records if getattr(r, "event", None) == "batch_sent"]


def test_a_batch_whose_answer_was_lost_is_asked_for_not_sent_again(central, kelurahan, caplog):
    """The try reached central but its answer was lost (a cut link): before a
    resend the agent asks central for the answer by batch id and gets it, so the
    batch crosses the link once."""
    import logging

    import requests
    h.seed_approved(kelurahan, 12, seed=5)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 5)
    first = requests.post(central.url + "/api/v1/batches", data=built["body"], headers=built["headers"])
    assert first.status_code == 200
    storage.note_send(conn, built["batch_id"], "pusat tidak dapat dihubungi: ReadTimeout")
    caplog.set_level(logging.DEBUG, logger="berjasa.sync")
    report = run_once(kelurahan, h.agent_settings(kelurahan, sync_batch_size=5), "test")
    assert report.ok and report.records_sent == 12 and report.batches_sent == 3
    assert built["batch_id"] not in _posted_batches(caplog)
    assert len(_posted_batches(caplog)) == 2
    stored = storage.get_batch(conn, built["batch_id"])
    assert stored["state"] == "answered" and stored["answer"] == first.content
    conn.close()
    assert len(h.held_at_central(central, A)) == 12


def test_a_batch_that_never_reached_central_is_sent_again(central, kelurahan, caplog):
    """Central answers 404 unknown_batch: the earlier try truly failed, so it is sent."""
    import logging
    h.seed_approved(kelurahan, 5, seed=6)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 5)
    storage.note_send(conn, built["batch_id"], "pusat tidak dapat dihubungi: ConnectionError")
    conn.close()
    caplog.set_level(logging.DEBUG, logger="berjasa.sync")
    report = run_once(kelurahan, h.agent_settings(kelurahan, sync_batch_size=5), "test")
    assert report.ok and report.records_sent == 5
    assert _posted_batches(caplog) == [built["batch_id"]]
    assert len(h.held_at_central(central, A)) == 5


def test_central_answers_a_batch_by_id_only_to_its_device(central, kelurahan, tmp_path):
    """GET /api/v1/batches/<id>: the stored answer byte for byte, signed by the
    device; another device gets 404 as for an unknown id; unsigned is refused."""
    import requests

    from sync.protocol_auth import sign_request
    h.seed_approved(kelurahan, 3, seed=8)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 5)
    conn.close()
    first = requests.post(central.url + "/api/v1/batches", data=built["body"], headers=built["headers"])
    path = f"/api/v1/batches/{built['batch_id']}"
    mine = requests.get(central.url + path, headers=sign_request(key, device["device_id"], "GET", path))
    assert mine.status_code == 200 and mine.content == first.content
    assert mine.headers["Berjasa-Replay"] == "1" and mine.headers.get("Berjasa-Central-Signature")
    last = built["batch_id"][-1]
    # another id of the same shape (the last character changed, never kept: a
    # fixed "0" was this very id once in 16 runs)
    unknown = f"/api/v1/batches/{built['batch_id'][:-1]}{'1' if last == '0' else '0'}"
    missing = requests.get(central.url + unknown,
                           headers=sign_request(key, device["device_id"], "GET", unknown))
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_batch"
    other = h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(other)
    conn = connect(other / "kelurahan.db")
    other_device, other_key = load_device(conn, other)
    conn.close()
    theirs = requests.get(central.url + path,
                          headers=sign_request(other_key, other_device["device_id"], "GET", path))
    assert theirs.status_code == 404 and theirs.json()["code"] == "unknown_batch"
    assert requests.get(central.url + path).status_code in (400, 401)


@pytest.mark.slow  # its run encodes in a helper process
@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_the_first_batch_is_read_and_packed_alone(central, kelurahan, monkeypatch):
    """With a helper process encoding, the first batch is read (500 rows, not the
    4,000 of eight batches ahead) and packed inline, so it is on the link while the
    helper starts and the next rows are read."""
    from server.storage import outbox
    from sync.packing import build_batches
    from sync.run_state import RunState
    from sync.transport import CentralClient
    h.seed_approved(kelurahan, 12, seed=9)
    reads: list[int] = []
    real = outbox.pending_records
    monkeypatch.setattr(outbox, "pending_records", lambda conn, limit: reads.append(limit) or real(conn, limit))
    settings = h.agent_settings(kelurahan)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    client = CentralClient(central.url, settings, time.monotonic() + 60)
    run = RunState(kelurahan / "kelurahan.db", client, settings)
    try:
        batches = build_batches(run, conn, device, key, size=3, ahead=4, processes=1)
        first = next(batches)
        assert reads == [3] and len(first["record_ids"]) == 3
        rest = list(batches)
    finally:
        run.close()
        client.close()
        conn.close()
    assert reads[1] == 12 and sum(len(b["record_ids"]) for b in [first, *rest]) == 12


@pytest.mark.slow
@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_a_damaged_stored_batch_fails_the_run_instead_of_hanging_it(central, kelurahan):
    """A sender that meets something unexpected (here stored headers that are not
    an object) stops the run with an error and keeps taking the queue's end marks:
    before, its thread died and the builder waited forever to hand on the rest."""
    import threading

    h.seed_approved(kelurahan, 6, seed=9)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    for _ in range(6):
        build_batch(conn, device, key, 1)
    conn.execute("UPDATE sync_batches SET headers = '[]'")
    conn.close()
    reports = []
    runner = threading.Thread(target=lambda: reports.append(run_once(
        kelurahan, h.agent_settings(kelurahan, sync_parallel_requests=1), "test")), daemon=True)
    runner.start()
    runner.join(30)
    assert not runner.is_alive(), "the run hangs"
    assert not reports[0].ok and "AttributeError" in reports[0].error
    assert len(central.query("SELECT batch_id FROM batches")) == 0


def test_sync_status_says_when_in_makassar_time_and_json_keeps_utc(central, kelurahan):
    """People read the text (WITA, as the kelurahan pages show times); scripts read
    ``--json``, which keeps the stored UTC stamp."""
    h.seed_approved(kelurahan, 2, seed=9)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    stamp = json.loads(berjasa("sync", "status", "--json", data_dir=kelurahan,
                               check=True).stdout)["last_push"]["at"]
    text = berjasa("sync", "status", data_dir=kelurahan, check=True).stdout
    moment = datetime.fromisoformat(stamp) + timedelta(hours=8)
    assert f"Terakhir terkirim: {moment:%d-%m-%Y %H:%M:%S} WITA" in text and "+00:00" not in text


# a traceback of the scheduler's thread on stopping (APScheduler's own race) fails it
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_stopping_the_schedule_waits_for_the_run_in_progress(central, kelurahan):
    """`sync run` stopped by Ctrl+C had released the data folder while its run went on
    writing (a restore then met a locked register): the schedule's shutdown waits for
    the run in progress. Here central's port accepts and never answers."""
    import socket

    from sync.scheduler import SyncSchedule

    h.seed_approved(kelurahan, 2, seed=17)
    port = int(central.port)
    central.stop()
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", port))
    silent.listen(8)  # connections complete; nothing is ever read or answered
    reports = []
    settings = h.agent_settings(kelurahan, sync_read_timeout_seconds=1.5, sync_request_retries=0,
                                sync_run_seconds=3.0, sync_scheduled_run_seconds=3.0)
    schedule = SyncSchedule(kelurahan, settings, on_report=reports.append)
    try:
        schedule.start()
        deadline = time.monotonic() + 20
        while not schedule.busy.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert schedule.busy.is_set() and not reports, "no run in progress to wait for"
        schedule.shutdown(wait=True)
        assert not schedule.busy.is_set() and len(reports) == 1 and not reports[0].ok
    finally:
        schedule.shutdown()
        silent.close()
