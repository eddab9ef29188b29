"""Duplicate hints for the phone (design.md "Duplicate hints for the phone").

The filter (berjasa/hints.py) covers every record the kelurahan holds and the
keyed hashes central sent with the sync pull, all under central's current key:
city-wide by default, or only this kecamatan and its neighbours where that is
enough (setting ``field_hint_scope``). Before the first pull brings central's key,
a key made in the data folder is used.

What a stolen phone gives is limited (docs/field-app.md "Remaining guessing risk"):
the key travels only with the filter, only to an enumerator's token, both fetches
are counted (a rate limit per enumerator) and written to the audit trail (who, when,
from which address, which key: action ``field.hint_download``).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from berjasa import hints, reference
from berjasa.database import transaction
from berjasa.paths import open_private
from server.storage import field_index as store
from server.storage.audit import Actor, record_audit_entry

KEY_FILE = "field_dedupe.key"


class TooManyFetches(Exception):
    """An enumerator passed ``field_hint_fetches_per_hour``."""


KEY_BYTES = 32
# How long a reader waits for a key file that another process has just created to
# hold its 32 bytes (the file is created first, then written).
KEY_WRITE_WAIT_SECONDS = 1.0
_KEY_LOCK = threading.Lock()


def _local_key(data_dir: Path) -> hints.HintKey:
    """The data folder's key (32 random bytes, made on first use): used until central's
    arrives. The phone fetches the filter and the key at once, so two requests race on
    first use: they take turns here, and a reader in another process waits until the
    file holds the whole key (never a key from a half-written file)."""
    path = Path(data_dir) / KEY_FILE
    with _KEY_LOCK:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes racing on first use must not write two different keys.
            try:
                fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(os.urandom(KEY_BYTES))
                    handle.flush()
                    os.fsync(handle.fileno())
        return hints.HintKey.from_secret(_whole_key(path))


def _whole_key(path: Path) -> bytes:
    """The key file's 32 bytes, waiting a moment for a writer in another process."""
    for _ in range(max(1, round(KEY_WRITE_WAIT_SECONDS / 0.02))):
        secret = path.read_bytes()
        if len(secret) == KEY_BYTES:
            return secret
        threading.Event().wait(0.02)
    raise ValueError(f"{path} rusak (bukan kunci {KEY_BYTES} bita); hapus berkas itu agar "
                     "kunci baru dibuat (HP mengunduh filter baru)")


def current_key(conn, data_dir: Path) -> hints.HintKey:
    """Central's newest key when the agent has pulled one, else the local key."""
    secret = store.newest_hint_secret(conn)
    return hints.HintKey.from_secret(secret) if secret else _local_key(data_dir)


def area(settings: dict) -> frozenset[str] | None:
    """Kelurahan codes whose central hashes enter the filter (None: the whole city)."""
    if settings["field_hint_scope"] == "city":
        return None
    return reference.hint_area(settings["kelurahan_code"]) or None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def note_fetch(conn, settings: dict, actor: Actor, what: str, key_id: str) -> None:
    """Count one download and write it to the audit trail (one transaction);
    TooManyFetches over the hourly limit."""
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat(timespec="seconds")
    with transaction(conn):
        if store.fetches_since(conn, actor.username, since) >= int(settings["field_hint_fetches_per_hour"]):
            raise TooManyFetches()
        store.add_fetch(conn, actor.username, what, key_id, _now(), actor.address)
        record_audit_entry(conn, actor, "field.hint_download", changes={"what": what, "key_id": key_id})


_CACHE: dict[str, tuple[tuple, dict]] = {}
_CACHE_LOCK = threading.Lock()


def dedupe_index(conn, data_dir: Path, settings: dict) -> dict:
    """The ``GET /api/v1/field/dedupe-index`` body, rebuilt only when a record, central's
    hashes, the key or the settings changed (150,000 records take seconds to hash)."""
    key = current_key(conn, data_dir)
    scope = area(settings)
    mark = (key.key_id, store.signature(conn), scope, float(settings["field_hint_false_positive_rate"]))
    with _CACHE_LOCK:
        held = _CACHE.get(str(data_dir))
        if held and held[0] == mark:
            return held[1]
    body = _build(conn, key, scope, settings)
    with _CACHE_LOCK:
        _CACHE[str(data_dir)] = (mark, body)
    return body


def _build(conn, key: hints.HintKey, scope: frozenset[str] | None, settings: dict) -> dict:
    """``count`` is the number of distinct records (by NIK hash) the filter covers;
    it holds two items per record."""
    record_hashes = [hints.record_hashes(key.secret, nik, name, birth)
                     for nik, name, birth in store.identity_rows(conn)]
    for blob in store.central_hash_blobs(conn, key.key_id, scope):
        record_hashes.extend(blob[i:i + 16] for i in range(0, len(blob) - 15, 16))
    niks = {h[:8] for h in record_hashes}
    items = niks | {h[8:16] for h in record_hashes}
    return hints.index_body(key, items, len(niks), float(settings["field_hint_false_positive_rate"]))
