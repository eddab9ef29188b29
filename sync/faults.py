"""Crash points for the fault-injection tests: inert unless ``BERJASA_SYNC_CRASH_AT``
names one. ``BERJASA_SYNC_CRASH_AT=after_answer:3`` kills the process (as kill -9
would: no cleanup, no flush) the third time the agent reaches ``after_answer``.

Points: ``after_build`` (a batch stored, not sent), ``mid_upload`` (half the body
written to the socket), ``after_answer`` (central answered, answer not stored: the
POST's answer, or one the updates page beside the push carried or fetched, whichever
comes first),
``after_store`` (answer stored, pull not started), ``mid_pull`` (an updates page
received, not applied).
"""

from __future__ import annotations

import io
import os
import threading

CRASH_ENV = "BERJASA_SYNC_CRASH_AT"
POINTS = ("after_build", "mid_upload", "after_answer", "after_store", "mid_pull")
_lock = threading.Lock()
_seen: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    raw = os.environ.get(CRASH_ENV, "").strip()
    if not raw:
        return None
    name, _, count = raw.partition(":")
    return name, int(count or 1)


def crash_point(name: str) -> None:
    """Die here if the environment asks for it (the nth time this point is reached)."""
    target = _target()
    if target is None or target[0] != name:
        return
    with _lock:
        _seen[name] = _seen.get(name, 0) + 1
        if _seen[name] >= target[1]:
            os._exit(137)  # like SIGKILL: no finally blocks, no atexit


class UploadBody(io.BytesIO):
    """A request body that, with ``mid_upload`` armed, dies after half of it was read
    by the HTTP client (so half went on the wire). Plain bytes otherwise."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self._half = len(body) // 2

    def read(self, size: int | None = -1) -> bytes:
        """Read like BytesIO; past the middle, visit the crash point."""
        chunk = super().read(min(size, 4096) if size and size > 0 else 4096)
        if self.tell() >= self._half and chunk:
            crash_point("mid_upload")
        return chunk


def upload_body(body: bytes) -> bytes | UploadBody:
    """The object to hand to requests: the bytes, or a crashing reader when armed."""
    target = _target()
    return UploadBody(body) if target and target[0] == "mid_upload" else body
