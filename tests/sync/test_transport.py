"""The agent's HTTP transport on a link that stalls: an upload that makes no
progress for longer than the connect timeout (a cut link, a slow central) but less
than the read timeout goes through, on a fresh and on a kept-alive connection.
Before, urllib3 sent the body under the connect timeout and every batch in flight
during a link cut was aborted and sent again."""

from __future__ import annotations

import socket
import threading
import time

from sync.transport import CentralClient

BODY = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers hold


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
            length = int([line.split(b":")[1] for line in header.split(b"\r\n")
                          if line.lower().startswith(b"content-length")][0])
            time.sleep(stall)
            got = len(rest)
            while got < length:
                got += len(conn.recv(1 << 20))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")


def test_an_upload_stalled_longer_than_the_connect_timeout_goes_through():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    server = threading.Thread(target=_stalling_server, args=(listener, 2.5, 2), daemon=True)
    server.start()
    settings = {"sync_connect_timeout_seconds": 1.0, "sync_read_timeout_seconds": 20.0,
                "sync_ca_bundle": ""}
    client = CentralClient(f"http://127.0.0.1:{listener.getsockname()[1]}", settings,
                           time.monotonic() + 120)
    try:
        first = client.request("POST", "/api/v1/batches", data=BODY)    # a fresh connection
        second = client.request("POST", "/api/v1/batches", data=BODY)   # the kept-alive one
    finally:
        client.close()
        listener.close()
    assert first.status_code == 200 and second.status_code == 200
