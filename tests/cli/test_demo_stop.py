"""cli: berjasa demo stops every server it started, however it is stopped."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import BERJASA

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc to find the demo's children")


def _free_base(count: int = 3) -> int:
    """A base port with ``count`` free ports after it."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base + count < 65535 and all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _listenable(port: int) -> bool:
    """A new server could listen on ``port`` (with SO_REUSEADDR, as waitress does:
    connections in TIME_WAIT from the demo's own health checks do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc/<pid>/task/*/children)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_demo(tmp_path: Path, base: int, as_json: bool = False) -> tuple[subprocess.Popen, str]:
    demo = subprocess.Popen([*BERJASA, "demo", "--enrollments", "4", *(["--json"] * as_json),
                             "--port-base", str(base), "--data-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in demo.stdout], daemon=True).start()
    seen = ""
    deadline = time.monotonic() + 180

    def ready() -> bool:
        """The summary ends with one line per sync run (both kelurahan, then the first
        again); with --json, a JSON line follows it while the demo runs."""
        runs = seen.split("Sinkronisasi pertama")[-1] if "Sinkronisasi pertama" in seen else ""
        return bool(re.search(r"(73\.71\.\d\d\.\d{4}: .*\n.*){3}", runs)) and (
            not as_json or any(line.startswith("{") for line in runs.splitlines()))

    while time.monotonic() < deadline and not ready():
        try:
            seen += lines.get(timeout=1)
        except queue.Empty:
            if demo.poll() is not None:
                break
    return demo, seen


# A kill loop (three demos, each killed): in the reliability set, not the quick loop.
@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
def test_no_server_outlives_the_demo(tmp_path, how, request):
    if how == signal.SIGINT and not request.config.getoption("--slow"):
        pytest.skip("--slow: SIGINT takes the same path as SIGTERM (a demo run is ~40 s)")
    base = _free_base()
    demo, shown = _start_demo(tmp_path, base, as_json=how == signal.SIGTERM)
    try:
        assert f"http://127.0.0.1:{base}/" in shown, shown + demo.stderr.read()
        if how == signal.SIGTERM:  # --json: the URLs as one JSON line while it runs
            found = [json.loads(line) for line in shown.splitlines() if line.startswith("{")]
            assert found and found[0]["central"] == f"http://127.0.0.1:{base}", shown
        for port in (base + 1, base + 2):
            assert f"http://127.0.0.1:{port}/" in shown
        time.sleep(1.0)  # the summary is printed after the last sync; let it settle
        children = _descendants(demo.pid)
        servers = [p for p in children if _alive(p)]
        assert len(servers) >= 3, f"expected central + 2 kelurahan servers, saw {children}"
        demo.send_signal(how)
        demo.wait(timeout=60)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in servers):
            time.sleep(0.2)
        assert not [p for p in servers if _alive(p)], "a demo server outlived the demo"
        for port in (base, base + 1, base + 2):
            waited = time.monotonic() + 15  # the kernel closes a killed process's sockets
            while time.monotonic() < waited and not _listenable(port):
                time.sleep(0.5)
            assert _listenable(port), f"port {port} still held after the demo stopped"
    finally:
        if demo.poll() is None:
            demo.kill()
        for pid in _descendants(demo.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.mark.slow
def test_port_base_taken_is_one_clear_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        answer = subprocess.run([*BERJASA, "demo", "--once",
                                 "--port-base", str(port), "--data-dir", str(tmp_path)],
                                capture_output=True, text=True, timeout=60, check=False)
    assert answer.returncode != 0
    assert re.search(rf"port {port} sedang dipakai", answer.stderr), answer.stderr
    assert "Traceback" not in answer.stderr
