"""What ``GET /api/v1/updates`` does once the request is parsed (plain functions,
no Flask): check the device's signed request, refuse a replayed nonce, page the
update entries of its kelurahan."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from central.devices import active_device
from central.storage import devices as device_store
from central.storage import records as store
from central.storage import updates as update_store
from central.storage.db import Database, integrity_errors
from sync.protocol_auth import load_public_key, verify_request
from sync.protocol_errors import ProtocolError


def verify_device_request(db: Database, headers: Any, method: str, path_qs: str,
                          max_skew_seconds: int) -> dict[str, Any]:
    """The active device that signed this request; ProtocolError when the
    signature, the device or the time is wrong, or the nonce was used before."""
    devices: dict[str, Any] = {}

    def public_key(device_id: str):
        devices[device_id] = active_device(db, device_id)
        return load_public_key(devices[device_id]["public_key"]) if devices[device_id] else None

    device_id, nonce, stamp = verify_request(headers, method, path_qs, public_key,
                                             max_skew_seconds=max_skew_seconds)
    try:
        fresh = device_store.remember_nonce(db, device_id, nonce, stamp,
                                            int(time.time()) - 2 * max_skew_seconds)
    except integrity_errors():  # the same nonce inserted by a concurrent request
        fresh = False
    if not fresh:
        raise ProtocolError("replayed_request", "nonce already used")
    return devices[device_id]


# How often a waiting updates request looks for the batches it waits for.
WAIT_POLL_SECONDS = 0.05
# At most this many updates requests wait at once: each holds a server thread
# (central_threads, 8) that the batches it waits for need too; any other one looks
# once and answers at once.
MAX_WAITING = 2
WAITING_ROOM = "berjasa_updates_waiting"  # the app's WaitingRoom, in app.extensions


class WaitingRoom:
    """The updates requests waiting for batches at one central (one per app: the
    limit is of that server's threads, not of the process, where tests and the demo
    run several centrals)."""

    def __init__(self, places: int = MAX_WAITING) -> None:
        self._places = threading.BoundedSemaphore(places)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.waiting = 0  # how many wait now

    def enter(self) -> bool:
        """Take a place; False when every place is taken or the room is closed
        (do not wait)."""
        if self._closed.is_set() or not self._places.acquire(blocking=False):
            return False
        with self._lock:
            self.waiting += 1
        return True

    def leave(self) -> None:
        with self._lock:
            self.waiting -= 1
        self._places.release()

    def pause(self, seconds: float) -> bool:
        """Sleep between two looks; True when the room closed meanwhile (stop waiting)."""
        return self._closed.wait(seconds)

    def close(self) -> None:
        """The server stops: every waiting request looks once more and answers now
        instead of holding a thread the server's stop waits for (a server stopped in
        this process: the tests, the benches), and no new one waits."""
        self._closed.set()


def wait_for_batches(db: Database, device_id: str, batch_ids: list[str], seconds: float,
                     room: WaitingRoom) -> bool:
    """Wait until every batch of ``batch_ids`` sent by this device is stored, at
    most ``seconds``; whether they all are. When the ``room`` is full (MAX_WAITING
    requests wait already), look once and do not wait. Each look is its own short
    read, so a waiting request holds no lock (the batches are ingested meanwhile)."""
    wanted = set(batch_ids)

    def stored() -> bool:
        return store.stored_answers(db, device_id, sorted(wanted)).keys() >= wanted

    if not room.enter():
        return stored()
    try:
        end = time.monotonic() + seconds
        while not stored():
            if time.monotonic() >= end or room.pause(WAIT_POLL_SECONDS):
                return stored()
        return True
    finally:
        room.leave()


def batch_answers(db: Database, device_id: str, batch_ids: list[str]) -> dict[str, str]:
    """The stored answers of the named batches (base64 of the bytes ``POST
    /api/v1/batches`` answered), for the page asked beside the push: an answer
    lost on the way back then needs no retransmission or request of its own."""
    return {batch_id: base64.b64encode(answer).decode("ascii")
            for batch_id, answer in store.stored_answers(db, device_id, batch_ids).items()}


def updates_page(db: Database, kelurahan_code: str, since: int, limit: int,
                 skip_kinds: tuple[str, ...] = ()) -> dict[str, Any]:
    """Up to ``limit`` entries after ``since``, the next cursor, and whether more wait."""
    entries = update_store.updates_since(db, kelurahan_code, since, limit + 1, skip_kinds)
    more = len(entries) > limit
    entries = entries[:limit]
    cursor = str(entries[-1]["seq"]) if entries else str(since)
    return {"updates": entries, "cursor": cursor, "more": more}
