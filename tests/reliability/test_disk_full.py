"""A full disk (issue 13, "Not tried yet"): the kelurahan server on a small tmpfs
answers 507 with one clear message and stores nothing half-written; after space is
freed everything continues; a backup or export that cannot be written leaves no
partial file. Needs root to mount a tmpfs (skipped with the reason otherwise)."""

from __future__ import annotations

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
