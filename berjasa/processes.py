"""Starting ``berjasa`` server commands as child processes and waiting until they
answer (the demo, and tests that kill servers with SIGKILL)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import IO

import requests

BERJASA = [sys.executable, "-m", "berjasa"]


class ServerDidNotStart(RuntimeError):
    """The command exited, or its /health did not answer in time."""


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise ServerDidNotStart("no free port")


def start_server(args: list[str], url: str, timeout: float = 60,
                 stderr: int | IO | None = subprocess.PIPE) -> subprocess.Popen:
    """Run ``berjasa ARGS`` and return once ``URL/health`` answers 200."""
    process = subprocess.Popen([*BERJASA, *args], stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read().decode(errors="replace")[-300:] if process.stderr else ""
            raise ServerDidNotStart(f"`berjasa {args[0]}` stopped: {output}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    raise ServerDidNotStart(f"{url} did not answer within {timeout:.0f} s")
