"""berjasa.background_server: the test suite's in-process waitress server."""

from __future__ import annotations

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
