"""A tiny HTTP-aware TCP proxy that misbehaves on purpose, between the agent and
central. Per request it may: cut the upload mid-body, let central commit and drop
the answer, cut the answer mid-body, send the request to central twice, hold it
(so concurrent batches arrive out of order), answer 503 without forwarding, or
forward and answer 500 anyway. Each upstream request uses a fresh connection."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable

FAULTS = ("cut_upload", "drop_answer", "cut_answer", "duplicate", "delay", "http503", "http500_after")


def _read_message(sock: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    """One HTTP message (head + Content-Length body) from ``sock``; (None, b"")
    when the peer closed first. Returns the message and what was read past it."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _body_offset(message: bytes) -> int:
    return message.index(b"\r\n\r\n") + 4


class FaultyProxy:
    """Listen on 127.0.0.1 (a free port) and forward to ``upstream_port``."""

    def __init__(self, upstream_port: int, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.rng = random.Random(seed)
        self.fault_rate = 0.0
        self.faults: tuple[str, ...] = FAULTS
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed = False
        # called with each request before it is forwarded (from the serving thread)
        self.on_request: Callable[[bytes], None] | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def configure(self, fault_rate: float, faults: tuple[str, ...] = FAULTS) -> None:
        """From now on, each request misbehaves with this probability."""
        with self.lock:
            self.fault_rate, self.faults = fault_rate, faults

    def _choose(self, request: bytes) -> str | None:
        with self.lock:
            if self.rng.random() >= self.fault_rate:
                return None
            fault = self.rng.choice(self.faults)
            if fault == "cut_upload" and not request.startswith(b"POST"):
                fault = "drop_answer"
            self.counts[fault] = self.counts.get(fault, 0) + 1
            return fault

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _upstream(self, request: bytes, send: int | None = None) -> bytes | None:
        """Send (part of) a request to central on a fresh connection; its answer."""
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as up:
            up.sendall(request[:send] if send is not None else request)
            if send is not None:
                return None
            answer, _ = _read_message(up, b"")
            return answer

    def _serve(self, client: socket.socket) -> None:
        """Requests of one client connection, one at a time (keep-alive)."""
        buffer = b""
        try:
            while True:
                request, buffer = _read_message(client, buffer)
                if request is None:
                    return
                if not self._one(client, request):
                    return
        except OSError:
            return
        finally:
            client.close()

    def _one(self, client: socket.socket, request: bytes) -> bool:
        """Forward one request with its fault; False when the connection must close."""
        hook = self.on_request
        if hook is not None:
            hook(request)
        fault = self._choose(request)
        if fault == "http503":
            client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            return True
        if fault == "cut_upload":
            start = _body_offset(request)
            cut = start + max(1, (len(request) - start) // 2)
            try:
                self._upstream(request, send=cut)
            except OSError:
                pass
            return False
        if fault == "delay":
            time.sleep(self.rng.uniform(0.05, 0.6))
        try:
            answer = self._upstream(request)
            if fault == "duplicate":
                answer = self._upstream(request) or answer
        except OSError:
            return False
        if answer is None or fault == "drop_answer":
            return False
        if fault == "cut_answer":
            client.sendall(answer[: max(1, len(answer) - 20)])
            return False
        if fault == "http500_after":
            client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
            return True
        client.sendall(answer)
        return True

    def close(self) -> None:
        """Stop listening."""
        self.closed = True
        self.listener.close()


def with_proxy(upstream_port: int, seed: int, body: Callable[[FaultyProxy], None]) -> None:
    """Run ``body`` with a proxy, closing it afterwards."""
    proxy = FaultyProxy(upstream_port, seed)
    try:
        body(proxy)
    finally:
        proxy.close()
