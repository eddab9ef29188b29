"""Offline commands refuse while a server or agent holds the data folder
(issue 13 item 1); a dead holder never blocks (real processes, SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from berjasa.folder_lock import FolderInUse, hold_running, offline, running_holders
from berjasa.processes import BERJASA, free_port, start_server
from tests.helpers import PASSPHRASE, berjasa

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")


def _backup(folder: Path, target: Path) -> None:
    answer = berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                     stdin=PASSPHRASE + "\n")
    assert answer.returncode == 0, answer.stderr


def _restore(folder: Path, target: Path):
    return berjasa("restore", str(target), "--force", "--passphrase-stdin", "--data-dir",
                   str(folder), stdin=PASSPHRASE + "\n")


@pytest.mark.slow
def test_restore_refuses_while_serve_runs_and_other_commands_keep_working(data_dir, tmp_path):
    target = tmp_path / "cadangan.bjb"
    _backup(data_dir, target)
    port = free_port()
    server = start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                          f"http://127.0.0.1:{port}")
    try:
        refused = _restore(data_dir, target)
        assert refused.returncode != 0
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "serve (pid" in lines[0] and "Traceback" not in refused.stderr
        assert not list(data_dir.glob("kelurahan.db.before-restore-*"))  # nothing moved
        # everything else works beside the running server
        _backup(data_dir, tmp_path / "kedua.bjb")
        assert berjasa("audit", "verify", "--data-dir", str(data_dir)).returncode == 0
        assert berjasa("sync", "status", "--data-dir", str(data_dir)).returncode == 0
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    # the killed server's lock went with its process: restore proceeds at once
    assert running_holders(data_dir) == []
    answer = _restore(data_dir, target)
    assert answer.returncode == 0, answer.stderr


@pytest.mark.slow
def test_restore_refuses_while_the_agent_loop_runs(data_dir, tmp_path):
    target = tmp_path / "cadangan.bjb"
    _backup(data_dir, target)
    agent = subprocess.Popen([*BERJASA, "sync", "run", "--data-dir", str(data_dir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not running_holders(data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running_holders(data_dir) == [f"sync run (pid {agent.pid})"]
        refused = _restore(data_dir, target)
        assert refused.returncode != 0 and "sync run" in refused.stderr
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    assert _restore(data_dir, target).returncode == 0


@pytest.mark.slow
def test_a_server_does_not_start_while_an_offline_command_works(data_dir):
    with offline(data_dir, "restore"):
        port = free_port()
        answer = subprocess.run([*BERJASA, "serve", "--port", str(port), "--data-dir",
                                 str(data_dir)], capture_output=True, text=True, timeout=60, check=False)
        assert answer.returncode != 0 and "restore/migrate" in answer.stderr
        with pytest.raises(FolderInUse):
            hold_running(data_dir, "serve")
    held = hold_running(data_dir, "serve")
    with pytest.raises(FolderInUse, match="serve"), offline(data_dir, "restore"):
        pass
    held.release()
    with offline(data_dir, "restore"):
        pass


@pytest.mark.slow
def test_a_second_server_on_one_folder_is_refused_and_the_first_keeps_serving(tmp_path, data_dir):
    """Two `serve` on one register (a service and a forgotten window) would both
    answer phones; the second says which one runs, and once that one stops the folder
    is free again."""
    port = free_port()
    first = start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                         f"http://127.0.0.1:{port}", timeout=30)
    try:
        second = berjasa("serve", "--port", str(free_port()), "--data-dir", str(data_dir))
        assert second.returncode != 0 and "Traceback" not in second.stderr
        assert f"`berjasa serve` sudah berjalan untuk folder data {data_dir} (serve (pid " \
            f"{first.pid}))" in second.stderr, second.stderr
        status = berjasa("sync", "status", "--data-dir", str(data_dir))  # others still work
        assert status.returncode == 0, status.stderr
        with pytest.raises(FolderInUse):
            hold_running(data_dir, "serve", single=True)
    finally:
        first.terminate()
        first.wait(timeout=30)
    hold_running(data_dir, "serve", single=True).release()  # free once the first is gone


@pytest.mark.slow
def test_ctrl_c_stops_the_agent_loop_between_runs_and_frees_the_folder(data_dir):
    """`sync run` waits for its next run in one-second sleeps, which Ctrl+C
    interrupts on Windows too (a scheduler's Event.wait is not there before Python
    3.14); here: SIGINT while it waits stops it at once and releases its lock. The
    signal goes once the agent says when its next run is (its first, not registered,
    is over): a fixed pause was not always past the first run under load
    (tests/sync/test_schedule_stop.py: a stop during the hand-over of a run)."""
    agent = subprocess.Popen([*BERJASA, "sync", "run", "--data-dir", str(data_dir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(agent.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("next sync run in" in line for line in said) and agent.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running_holders(data_dir), "the agent never started: " + "".join(said)
        assert any("next sync run in" in line for line in said), "".join(said)
        agent.send_signal(signal.SIGINT)
        agent.wait(timeout=10)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    reader.join(10)
    assert "Traceback" not in "".join(said)
    assert running_holders(data_dir) == []


def test_files_dead_processes_left_are_swept_when_a_server_starts(data_dir):
    """A crashed server's running lock (or one Windows would not let go of while it was
    open) is removed by the next start, not left to pile up in locks/."""
    folder = data_dir / "locks"
    folder.mkdir(exist_ok=True)
    stale = [folder / f"running-serve-{pid}-0123abcd.lock" for pid in (11, 12)]
    for path in stale:
        path.write_bytes(b"")
    live = hold_running(data_dir, "sync run")
    try:
        assert not any(path.exists() for path in stale)
        assert live.path.exists() and running_holders(data_dir) == [f"sync run (pid {os.getpid()})"]
    finally:
        live.release()
    assert not live.path.exists()
