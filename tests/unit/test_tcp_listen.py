"""berjasa.tcp.listen_options: where waitress's SO_REUSEADDR would let two programs
listen on one port (Windows), the server's socket is bound with SO_EXCLUSIVEADDRUSE
and handed to waitress; elsewhere waitress binds it."""

from __future__ import annotations

import socket

from waitress import create_server

from berjasa import tcp


def test_elsewhere_waitress_binds():
    assert tcp.listen_options("127.0.0.1", 8080) == {"host": "127.0.0.1", "port": 8080}


def test_on_windows_the_socket_is_bound_exclusively_and_waitress_serves_it(monkeypatch):
    options_set = []
    real_socket = socket.socket

    class Recording(real_socket):
        def setsockopt(self, level, option, value):
            options_set.append(option)
            if option != "exclusive":
                super().setsockopt(level, option, value)

    monkeypatch.setattr(tcp.os, "name", "nt")
    monkeypatch.setattr(tcp.socket, "SO_EXCLUSIVEADDRUSE", "exclusive", raising=False)
    monkeypatch.setattr(tcp.socket, "socket", Recording)
    options = tcp.listen_options("127.0.0.1", 0)
    monkeypatch.undo()
    [sock] = options["sockets"]
    assert options_set == ["exclusive"] and sock.getsockname()[1] > 0
    server = create_server(lambda environ, start: [], **options)
    try:
        assert int(server.effective_port) == sock.getsockname()[1]
    finally:
        server.close()
