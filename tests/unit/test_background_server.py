"""berjasa.background_server: the test suite's in-process waitress server."""

from __future__ import annotations

import threading
import time

import requests

from berjasa.background_server import BackgroundServer


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"halo"]


def test_stop_wakes_the_loop_at_once_and_closes_the_port():
    """A loop sitting in a 30 s select() stops in well under a second (the
    trigger wakes it), serving before and refusing after."""
    server = BackgroundServer(_hello, threads=2, asyncore_loop_timeout=30).start()
    assert requests.get(server.url, timeout=5).text == "halo"
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    try:
        requests.get(server.url, timeout=5)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the port still answers after stop()")


def test_stops_racing_the_loop_never_touch_a_closed_trigger():
    """Two stops at once: one wakes the loop, which closes its sockets (the trigger
    among them) while the other stop is still deciding whether to wake it."""
    for _ in range(25):
        server = BackgroundServer(_hello, threads=1).start()
        errors = []

        def stop(server=server, errors=errors):
            try:
                server.stop()
            except OSError as exc:  # EBADF: the trigger was pulled after its close
                errors.append(exc)

        racers = [threading.Thread(target=stop) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(10)
        assert errors == []
