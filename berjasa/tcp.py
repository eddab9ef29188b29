"""TCP options shared by the sync agent's connections and central's server.

The retransmission timeout TCP may back off to is capped (Linux >= 6.15, option
TCP_RTO_MAX_MS; the default is 120 s). Each retransmission lost during a link cut
doubles the timer, so after a 10 s cut on an island link (800 ms RTT) uploads sat
silent 6-8 s more, and an answer central wrote during the cut reached the agent
only after its 30 s read timeout: the link was back but neither side knocked.
Capped, both sides retransmit at most every 2 s, above the island's RTT plus its
queue, so the cap does not fire while packets are merely queued (bench/README.md,
sync over the link).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

RTO_MAX_MS = 2000
TCP_RTO_MAX_MS = getattr(socket, "TCP_RTO_MAX_MS", 44)


def rto_cap_options() -> list[tuple[int, int, int]]:
    """The RTO cap as a (level, option, value) socket option where this kernel
    takes it, else nothing (an unknown option would fail every connection)."""
    if not sys.platform.startswith("linux"):
        return []
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.IPPROTO_TCP, TCP_RTO_MAX_MS, RTO_MAX_MS)
    except OSError:
        return []
    finally:
        probe.close()
    return [(socket.IPPROTO_TCP, TCP_RTO_MAX_MS, RTO_MAX_MS)]


def cap_listeners(sockets) -> None:
    """Set the RTO cap on listening TCP sockets (connections they accept inherit
    it on Linux); other sockets (a server's wake-up pipe) are left alone."""
    for option in rto_cap_options():
        for sock in sockets:
            if (isinstance(sock, socket.socket) and sock.type == socket.SOCK_STREAM
                    and sock.family in (socket.AF_INET, socket.AF_INET6)):
                sock.setsockopt(*option)


def listen_options(host: str, port: int) -> dict[str, Any]:
    """waitress ``create_server`` keywords for a listener no other program shares.
    waitress sets SO_REUSEADDR, which on Windows lets a bind succeed on a port another
    program already listens on (who gets the connections is then undefined, and
    "port in use" is never said): there the socket is bound here with
    SO_EXCLUSIVEADDRUSE and handed over. Elsewhere waitress binds as always."""
    if os.name != "nt":
        return {"host": host, "port": port}
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return {"sockets": [sock]}
