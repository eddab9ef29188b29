"""Central's server caps TCP's retransmission back-off on every connection it
accepts (berjasa/tcp.py): an answer written while a kelurahan's link was cut
otherwise reached the agent only after its 30 s read timeout (island profile)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from waitress import create_server

from berjasa import tcp
from central.cli_serve import cap_server


def _accepted_rto_max(host: str) -> list[int]:
    """TCP_RTO_MAX_MS of the connection a capped waitress server on ``host`` accepted."""
    server = create_server(lambda env, start: [b""], host=host, port=0)
    cap_server(server)
    threading.Thread(target=server.run, daemon=True).start()
    address = server.effective_host, server.effective_port
    client = socket.create_connection(address, timeout=5)
    try:
        for _ in range(100):
            accepted = [ch.socket for ch in list(server._map.values())
                        if type(ch).__name__ == "HTTPChannel"]
            if accepted:
                return [s.getsockopt(socket.IPPROTO_TCP, tcp.TCP_RTO_MAX_MS) for s in accepted]
            time.sleep(0.05)
        raise AssertionError("no connection accepted")
    finally:
        client.close()
        server.close()


def test_central_connections_cap_the_retransmission_back_off():
    if not tcp.rto_cap_options():
        pytest.skip("this kernel has no TCP_RTO_MAX_MS")
    assert _accepted_rto_max("127.0.0.1") == [tcp.RTO_MAX_MS]
