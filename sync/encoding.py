"""Encoding batches off the agent's main process.

Packing 500 records (columns, canonical JSON, zstd 15, signature) is pure CPU,
about as long as the 1 Mbit/s link takes to carry the result; in the agent's own
process it competes (GIL) with the threads that send and store. A helper process
(``sync_encode_processes``; ``spawn``, so it works the same on Windows) encodes
while the agent sends the previous batches. Small runs encode inline: starting a
process costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from sync import protocol
from sync.protocol_auth import load_private_key


def encode_rows(device_id: str, kelurahan_code: str, rows: list[dict[str, Any]],
                key_pem: bytes) -> dict[str, Any]:
    """A new batch of ``rows``: its id, content hash, record ids, body and headers."""
    batch = protocol.new_batch(device_id, kelurahan_code, rows)
    body, headers = protocol.encode_batch(batch, load_private_key(key_pem))
    return {"batch_id": batch.batch_id, "content_hash": protocol.content_hash(batch),
            "record_ids": [r["id"] for r in batch.records], "body": body, "headers": headers}


class InlineExecutor(Executor):
    """Runs each task at once in the caller's thread (no process to start)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now; a finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def _exit_with_parent() -> None:
    """In a helper: end as soon as the agent ends, even by kill -9 (the parent's
    sentinel works on Windows and POSIX); no orphan keeps encoding."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="watch-agent").start()


def encoder(processes: int, batches_waiting: int) -> Executor:
    """Helper processes when there is enough to encode, else inline."""
    if processes < 1 or batches_waiting < 3:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=processes, initializer=_exit_with_parent,
                               mp_context=multiprocessing.get_context("spawn"))
