"""A WSGI app served by waitress in a background thread, stoppable cleanly (used
by the test suite and the benchmarks).

Closing a waitress server from another thread while its loop sits in select()
races with file-descriptor reuse: the next server may get the same descriptor and
the old loop then handles, or kills, the new server's connections. Here the thread
that runs the loop also closes its sockets, and the worker threads are shut down
too, after ``on_stop`` has told the app to end what its threads wait for (central:
its waiting updates requests). :meth:`stop` wakes the loop at once through waitress's trigger (the socket
pair its workers use to wake the loop for writes) instead of waiting out a round
of select(): the test suite starts and stops hundreds of servers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from waitress import create_server, wasyncore

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11


class BackgroundServer:
    """``with BackgroundServer(app) as server: requests.get(server.url)``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
                 on_stop: Callable[[], None] | None = None, **adjustments: Any) -> None:
        self._map: dict = {}
        self._on_stop = on_stop
        self._server = create_server(app, map=self._map, host=host, port=port, threads=threads,
                                     **adjustments)
        self._stopping = threading.Event()
        self._closing = threading.Lock()  # the trigger is pulled only while still open
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="waitress-loop", daemon=True)
        self.url = f"http://{host}:{self._server.effective_port}"
        self.port = self._server.effective_port

    def _run(self) -> None:
        timeout = self._server.adj.asyncore_loop_timeout  # waitress's round, 1 s by default
        while not self._stopping.is_set():
            wasyncore.loop(timeout=timeout, map=self._map, count=1)
        with self._closing:
            wasyncore.close_all(self._map)
            self._closed = True

    def start(self) -> BackgroundServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the app's waits (``on_stop``), stop accepting, close every socket in
        the loop's own thread, end workers."""
        if self._on_stop is not None:  # while the loop still runs: their answers can go out
            self._on_stop()
        with self._closing:
            self._stopping.set()
            if not self._closed and self._thread.is_alive():
                self._server.pull_trigger()  # wake select() now; the loop sees _stopping
        self._thread.join(timeout=10)
        self._server.task_dispatcher.shutdown(timeout=5)

    close = stop

    @property
    def effective_port(self) -> int:
        """The port actually bound (as waitress names it)."""
        return self.port

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
