"""A full disk (issue 13, "Not tried yet"): the kelurahan server on a small tmpfs
answers 507 with one clear message and stores nothing half-written; after space is
freed everything continues; a backup or export that cannot be written leaves no
partial file. Needs root to mount a tmpfs (skipped with the reason otherwise)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from berjasa.processes import start_server
from tests.helpers import PASSWORD, berjasa, free_port


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs, unmounted afterwards."""
    if os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mount = tmp_path / "kecil"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:200]}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def _fill(folder: Path) -> Path:
    """Take every free byte of the filesystem with one file."""
    filler = folder / "pengisi.bin"
    with open(filler, "wb", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            try:
                while handle.write(b"\0" * size):
                    pass
            except OSError:
                pass
    return filler


def test_full_disk_is_507_nothing_half_written_and_everything_continues(
        data_dir, small_disk, records):
    folder = small_disk / "data"
    shutil.copytree(data_dir, folder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(["serve", "--port", str(port), "--data-dir", str(folder)], base,
                          stderr=subprocess.DEVNULL)
    try:
        session = requests.Session()
        token = session.post(f"{base}/api/v1/auth/token",
                             json={"username": "enumerator", "password": PASSWORD},
                             timeout=30).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        acknowledged = []
        for _ in range(5):
            record = records.enrollment()
            assert session.post(f"{base}/api/v1/enrollments", json=record,
                                timeout=30).status_code == 201
            acknowledged.append(record["id"])
        filler = _fill(small_disk)
        refused = None
        for _ in range(400):  # SQLite may still have room in its WAL for a while
            record = records.enrollment()
            answer = session.post(f"{base}/api/v1/enrollments", json=record, timeout=30)
            if answer.status_code == 201:
                acknowledged.append(record["id"])
                continue
            refused = (record, answer)
            break
        assert refused is not None, "the disk never filled"
        record, answer = refused
        assert answer.status_code == 507, answer.text
        assert answer.json()["code"] == "storage_full"
        assert "penuh" in answer.json()["message"]
        # the server keeps answering reads while the disk is full
        assert session.get(f"{base}/health", timeout=30).status_code == 200

        # a backup or an export that cannot be written leaves nothing that looks complete
        target = small_disk / "cadangan.bjb"
        backup = berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                          stdin="frasa-sandi-cadangan\n")
        assert backup.returncode != 0 and "Traceback" not in backup.stderr
        assert not target.exists() and not list(small_disk.glob("cadangan.bjb*"))
        export = small_disk / "audit.csv"
        exported = berjasa("audit", "export", "--since", "2000-01-01", "--output", str(export),
                            "--data-dir", str(folder))
        assert exported.returncode != 0 and "Traceback" not in exported.stderr
        assert not export.exists() and not list(small_disk.glob("audit.csv*"))

        filler.unlink()  # space again: the refused record goes in, nothing doubled
        again = session.post(f"{base}/api/v1/enrollments", json=record, timeout=30)
        assert again.status_code == 201, again.text
        acknowledged.append(record["id"])
        assert berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                        stdin="frasa-sandi-cadangan\n").returncode == 0
    finally:
        server.kill()
        server.wait()
    conn = sqlite3.connect(folder / "kelurahan.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    held = [row[0] for row in conn.execute("SELECT id FROM enrollments")]
    conn.close()
    assert sorted(held) == sorted(acknowledged)  # every acknowledged record, once
    verify = berjasa("audit", "verify", "--data-dir", str(folder))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"\ndisk full: {len(acknowledged) - 1} records before the disk filled, 507 on the "
          f"next, integrity ok, audit intact, backup/export left no partial file")
    assert uuid.UUID(record["id"])


def _harness():
    import importlib.util
    import sys

    path = Path(__file__).with_name("harness.py")
    spec = importlib.util.spec_from_file_location("sync_harness", path)
    module = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def test_central_on_a_full_disk_is_507_then_takes_the_batches_once(small_disk, tmp_path):
    """Central (SQLite) on the small filesystem, a kelurahan agent sending to it:
    a batch that cannot be stored is 507 ``storage_full`` (the agent keeps it and
    sends it again later), an export that cannot be written leaves no file, and
    after space is freed every record is at central exactly once."""
    from berjasa.database import connect as open_db
    from central.storage.db import Database
    from central.trail import verify as verify_trail
    from sync.agent import run_once

    h = _harness()
    folder = small_disk / "pusat"
    berjasa("central", "init", "--data-dir", str(folder), check=True)
    central = h.central_process(f"sqlite:///{folder / 'central.db'}", folder)
    try:
        kelurahan = h.make_kelurahan(tmp_path / "kel", "73.71.01.1001")
        central.register(kelurahan)
        settings = h.agent_settings(kelurahan, sync_request_retries=0)
        h.seed_approved(kelurahan, 10, seed=1)
        assert run_once(kelurahan, settings, "test").ok
        filler = _fill(small_disk)
        report = None
        for step in range(60):  # SQLite may still have room in its WAL for a while
            h.seed_approved(kelurahan, 40, seed=100 + step)
            report = run_once(kelurahan, settings, "test")
            if not report.ok:
                break
        assert report is not None and not report.ok, "the disk never filled"
        assert "507" in (report.error or ""), report.error
        # what central answers the agent's stored batch, sent again as it is
        pending = h.kelurahan_rows(kelurahan, "SELECT body, headers FROM sync_batches"
                                   " WHERE state = 'pending' LIMIT 1")
        assert pending, "the refused batch is kept for the next run"
        answer = requests.post(f"{central.url}/api/v1/batches", data=pending[0]["body"],
                               headers=json.loads(pending[0]["headers"]), timeout=60)
        assert answer.status_code == 507, answer.text[:300]
        assert answer.json()["code"] == "storage_full" and "penuh" in answer.json()["message"]
        assert requests.get(f"{central.url}/health", timeout=30).status_code == 200

        export = small_disk / "semua.csv"
        done = berjasa("central", "export", "--what", "all", "--output", str(export),
                       "--data-dir", str(folder))
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert not export.exists() and not list(small_disk.glob("semua.csv*"))

        filler.unlink()  # space again: the agent's next runs deliver everything, once
        for _ in range(10):
            report = run_once(kelurahan, settings, "test")
            if report.ok and report.pending == 0:
                break
        assert report.ok and report.pending == 0, report
        assert berjasa("central", "export", "--what", "all", "--output", str(export),
                       "--data-dir", str(folder)).returncode == 0
    finally:
        central.kill()
    held = h.held_at_central(central, "73.71.01.1001")
    local = h.kelurahan_rows(kelurahan, "SELECT id, status FROM enrollments")
    assert set(held) == {row["id"] for row in local}
    assert all(len(statuses) == 1 for statuses in held.values())  # nothing twice
    assert {row["status"] for row in local} == {"synced"}
    conn = open_db(folder / "central.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    db = Database(f"sqlite:///{folder / 'central.db'}")
    try:
        assert verify_trail(db)[1] is None
    finally:
        db.close()
    print(f"\ncentral disk full: {len(held)} records at central once each after 507 on a "
          f"batch, integrity ok, trail intact, export left no partial file")
