"""A real kelurahan server in a subprocess for the field-app browser tests:
``berjasa init``, ``user add`` and ``serve`` exactly as an operator runs them, so a
test can SIGKILL it mid-send and start it again on the same data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.helpers import BERJASA, PASSWORD, berjasa, free_port

KELURAHAN = "73.71.01.1001"


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None) -> str:
    """Run one ``berjasa`` command; fail the test with its output if it fails."""
    return berjasa(*args, stdin=stdin, env=env, check=True).stdout


class FieldServer:
    """One data folder, one port, a server process that can be killed and restarted."""

    def __init__(self, data_dir: Path, users: list[str], https: bool = False) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.https = https
        self.process: subprocess.Popen | None = None
        self.log = data_dir.parent / "server.log"
        run_cli("init", "--kelurahan", KELURAHAN, "--data-dir", str(data_dir))
        for name in users:
            run_cli("user", "add", name, "--role", "enumerator" if not name.startswith("pengawas")
                    else "supervisor", "--password-stdin", "--data-dir", str(data_dir),
                    stdin=PASSWORD + "\n")

    @property
    def base(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> str | bool:
        """What requests should trust: the server's own CA once it has made one."""
        ca = self.data_dir / "tls" / "ca.pem"
        return str(ca) if self.https and ca.exists() else not self.https

    def start(self) -> None:
        """Start ``berjasa serve`` and wait until /health answers."""
        args = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.https:
            args.append("--https")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([*BERJASA, *args], stdout=log, stderr=log,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/health", timeout=2,
                                verify=self.verify).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, as in a power cut."""
        if self.process and self.process.poll() is None:
            if hasattr(signal, "SIGKILL"):
                self.process.send_signal(signal.SIGKILL)
            else:  # pragma: no cover - Windows
                self.process.kill()
            self.process.wait(timeout=10)

    def token(self, username: str) -> str:
        """A bearer token for ``username``."""
        answer = requests.post(self.base + "/api/v1/auth/token", verify=self.verify, timeout=10,
                               json={"username": username, "password": PASSWORD})
        answer.raise_for_status()
        return answer.json()["token"]

    def own_records(self, username: str) -> list[dict]:
        """Every record the server holds for this enumerator (all pages)."""
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        items, cursor = [], None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = requests.get(self.base + "/api/v1/enrollments", params=params,
                                headers=headers, verify=self.verify, timeout=10).json()
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items
