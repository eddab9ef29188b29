"""``berjasa central serve`` stopped by Ctrl+C (SIGINT) or SIGTERM while a laptop's
updates request waits for a batch (``wait_for``, up to central_updates_wait_seconds):
the waiting request is answered at once and the process exits promptly and cleanly.
waitress's own stop waited 5 s for its threads with its loop already stopped, then cut
the waiting connection unanswered; SIGTERM cut it at once."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

import pytest
import requests

from berjasa.processes import free_port, start_server
from sync.protocol_auth import generate_private_key, public_key_text, sign_request
from tests.helpers import berjasa

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child")]
KELURAHAN = "73.71.01.1001"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_stop_answers_the_waiting_updates_request_and_exits_at_once(tmp_path, stop):
    data = tmp_path / "pusat"
    berjasa("central", "init", data_dir=data, check=True)
    added = berjasa("central", "device", "add", "--kelurahan", KELURAHAN, "--json",
                    data_dir=data, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(["central", "serve", "--port", str(port), "--data-dir", str(data)], url)
    try:
        key = generate_private_key()
        registered = requests.post(f"{url}/api/v1/devices/register", timeout=10, json={
            "code": json.loads(added.stdout)["code"], "public_key": public_key_text(key),
            "kelurahan_code": KELURAHAN, "label": "Laptop uji"})
        assert registered.status_code == 201, registered.text
        device_id = registered.json()["device_id"]
        path = "/api/v1/updates?since=0&wait_for=ab-12"  # a batch that never comes: 15 s
        answers: list[requests.Response | requests.RequestException] = []

        def wait() -> None:
            try:
                answers.append(requests.get(f"{url}{path}", timeout=30, headers=sign_request(
                    key, device_id, "GET", path)))
            except requests.RequestException as exc:  # a reset or a cut answer: the failure
                answers.append(exc)

        waiting = threading.Thread(target=wait)
        waiting.start()
        time.sleep(1.5)  # the request is in, waiting
        assert not answers, answers
        stopped_at = time.monotonic()
        server.send_signal(stop)
        code = server.wait(timeout=10)
        exited_after = time.monotonic() - stopped_at
        waiting.join(timeout=10)
        assert answers and isinstance(answers[0], requests.Response), answers
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json()["updates"] == []
        assert code == 0
        assert exited_after < 2.5, exited_after
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
