"""A waitress server run in the main thread until Ctrl+C or SIGTERM (``berjasa central
serve``), answering the requests in progress before it exits.

waitress's own ``server.run()`` turns Ctrl+C into a stop of its loop, then waits up to
5 s for its worker threads: a request still waiting (central's updates request waits
up to ``central_updates_wait_seconds`` for a laptop's batches) held the stop for those
5 s, and its answer, written once the loop had stopped, was never sent: the laptop saw
its connection closed unanswered. SIGTERM (a service manager's stop) ended the process
at once, mid-request.

Here a stop signal only marks the stop and wakes the loop. The loop, still running,
stops accepting connections, ``on_stop`` tells the app to end what its threads wait
for (central: :func:`central.app.stop_waiting`), and the loop goes on until every
request in progress is answered and sent (at most ``drain_seconds``); then every
socket is closed and the workers end. A second signal stops at once.

Portable: ``signal.signal`` for the signals the platform has (SIGINT; SIGTERM;
Windows' SIGBREAK, Ctrl+Break). On Windows Ctrl+C does not interrupt ``select()``:
the handler runs when the loop's round ends (``asyncore_loop_timeout``, 1 s).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import BaseWSGIServer

# The signals that stop a server, where the platform has them.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK")
                     if hasattr(signal, name))
# How long the requests in progress at a stop get to be answered and sent.
DRAIN_SECONDS = 3.0
# The loop's round while draining: a finished answer goes out this soon at the latest.
DRAIN_ROUND_SECONDS = 0.05


def serve_until_stopped(server: Any, server_map: dict, on_stop: Callable[[], None] | None = None,
                        drain_seconds: float = DRAIN_SECONDS) -> None:
    """Run waitress's ``server`` (made by ``create_server(app, map=server_map, ...)``)
    in this thread until a stop signal, then stop as the module says. In a thread that
    is not the main one (no signal reaches it) the loop runs until ``KeyboardInterrupt``."""
    stopping = threading.Event()
    listeners = [obj for obj in list(server_map.values()) if isinstance(obj, BaseWSGIServer)]

    def on_signal(_signum: int, _frame: Any) -> None:
        if stopping.is_set():
            raise KeyboardInterrupt  # a second Ctrl+C: now
        stopping.set()
        if listeners:
            listeners[0].pull_trigger()  # wake select() now

    previous = _handle(on_signal)
    adj = server.adj
    try:
        try:
            while not stopping.is_set():
                wasyncore.loop(timeout=adj.asyncore_loop_timeout, map=server_map,
                               use_poll=adj.asyncore_use_poll, count=1)
        except KeyboardInterrupt:  # no handler of ours (not the main thread)
            stopping.set()
        for listener in listeners:
            listener.accepting = False
        if on_stop is not None:
            on_stop()
        deadline = time.monotonic() + drain_seconds
        while _busy(server, server_map) and time.monotonic() < deadline:
            wasyncore.loop(timeout=DRAIN_ROUND_SECONDS, map=server_map,
                           use_poll=adj.asyncore_use_poll, count=1)
    finally:
        _restore(previous)
        wasyncore.close_all(server_map)
        server.task_dispatcher.shutdown(timeout=1)


def _busy(server: Any, server_map: dict) -> bool:
    """A request is queued or being served, or an answer is not yet sent."""
    tasks = server.task_dispatcher
    if tasks.active_count or tasks.queue:
        return True
    return any(getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
               for channel in list(server_map.values()))


def _handle(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    """Install ``handler`` for the stop signals (main thread only), leaving an ignored
    one ignored (``nohup``, a background job's SIGINT); the handlers replaced."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for number in STOP_SIGNALS:
        if signal.getsignal(number) == signal.SIG_IGN:
            continue
        with contextlib.suppress(ValueError, OSError):  # not allowed here
            previous[number] = signal.signal(number, handler)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler if handler is not None else signal.SIG_DFL)
