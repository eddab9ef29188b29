"""The agent's HTTP transport on a link that stalls: an upload that makes no
progress for longer than the connect timeout (a cut link, a slow central) but less
than the read timeout goes through, on a fresh and on a kept-alive connection.
Before, urllib3 sent the body under the connect timeout and every batch in flight
during a link cut was aborted and sent again."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from berjasa import tcp
from sync.transport import CentralClient

BODY = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers hold
# Timeouts a fifth of a second long (settings, as an operator would set them): a
# stall of a few of them proves what a stall of seconds would, in less time.
CONNECT_TIMEOUT = 0.2


def _client(port: int, connect_timeout: float, read_timeout: float, seconds: float) -> CentralClient:
    """An agent client of a local test server, its run ending in ``seconds``."""
    settings = {"sync_connect_timeout_seconds": connect_timeout,
                "sync_read_timeout_seconds": read_timeout, "sync_ca_bundle": ""}
    return CentralClient(f"http://127.0.0.1:{port}", settings, time.monotonic() + seconds)


def _stalling_server(listener: socket.socket, stall: float, requests: int) -> None:
    """Per request: read the headers, read nothing for ``stall`` seconds, then the
    body, and answer 200; keeps the connection open between requests."""
    conn, _ = listener.accept()
    with conn:
        for _ in range(requests):
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(65536)
            header, rest = head.split(b"\r\n\r\n", 1)
            length = int(next(line.split(b":")[1] for line in header.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
            time.sleep(stall)
            got = len(rest)
            while got < length:
                got += len(conn.recv(1 << 20))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")


def _uploads_through_a_stall(stall: float, read_timeout: float, uploads: int) -> list[int]:
    """POST ``uploads`` big bodies on one connection to a server that reads nothing
    for ``stall`` seconds per request; the answers' status codes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    server = threading.Thread(target=_stalling_server, args=(listener, stall, uploads), daemon=True)
    server.start()
    client = _client(listener.getsockname()[1], CONNECT_TIMEOUT, read_timeout, 120)
    try:
        # the first on a fresh connection, the next on the kept-alive one
        return [client.request("POST", "/api/v1/batches", data=BODY).status_code
                for _ in range(uploads)]
    finally:
        client.close()
        listener.close()


def test_an_upload_stalled_longer_than_the_connect_timeout_goes_through():
    assert _uploads_through_a_stall(3 * CONNECT_TIMEOUT, 20.0, 2) == [200, 200]


def test_warm_connects_before_the_first_request_and_that_request_reuses_it():
    """The senders connect while the first batches are packed: at 300 ms RTT the
    handshake is 0.3 s (0.9 s with TLS) that the first upload no longer waits for."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[float] = []
    requested: list[float] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(time.monotonic())
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                if head:
                    requested.append(time.monotonic())
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 b"Content-Type: application/json\r\n\r\n{}")
                    conn.recv(1)  # hold until the client closes

    threading.Thread(target=serve, daemon=True).start()
    client = _client(listener.getsockname()[1], 2.0, 5.0, 60)
    try:
        client.warm()
        deadline = time.monotonic() + 10
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # a request sent on the connection would have arrived by now
        assert len(accepted) == 1 and not requested  # connected, nothing sent
        assert client.request("GET", "/health").status_code == 200
    finally:
        client.close()
        listener.close()
    assert len(accepted) == 1 and len(requested) == 1  # the request used the warm connection


def test_warm_with_central_down_is_quiet():
    """Nothing listens: warm() returns; the request then says central is unreachable."""
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()
    client = _client(port, 1.0, 1.0, 30)
    try:
        client.warm()
    finally:
        client.close()


def test_an_upload_stalled_longer_than_the_read_timeout_still_goes_through():
    """After a link cut TCP's back-off can leave an upload silent longer than the
    read timeout; the send waits (up to three read timeouts) instead of abandoning
    the upload, which would send the whole batch again."""
    read_timeout = 2 * CONNECT_TIMEOUT
    # silent 1.75 read timeouts, less than the three a send may wait
    assert _uploads_through_a_stall(1.75 * read_timeout, read_timeout, 1) == [200]


def test_connections_cap_tcp_retransmission_back_off():
    """After a link cut every upload waited out its doubled retransmission timer;
    the agent's connections cap it (Linux >= 6.15) so they resume soon after."""
    if not tcp.rto_cap_options():
        pytest.skip("this kernel has no TCP_RTO_MAX_MS")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = _client(listener.getsockname()[1], 2.0, 5.0, 60)
    try:
        client.warm()
        pools = client._sessions[0].get_adapter("http://x/").poolmanager.pools
        # urllib3's pool container refuses plain iteration; keys() is its way
        conns = [c for key in pools.keys() for c in pools[key].pool.queue if c and c.sock]  # noqa: SIM118
        assert [c.sock.getsockopt(socket.IPPROTO_TCP, tcp.TCP_RTO_MAX_MS)
                for c in conns] == [tcp.RTO_MAX_MS]
    finally:
        client.close()
        listener.close()
