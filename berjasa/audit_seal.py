"""The keyed seal of a hash-chained audit trail (issue 13 item 2; docs/audit-chain.md).

A SHA-256 chain shows that rows were changed only to someone who cannot rewrite
them all: anyone able to write the database can change an entry and recompute
every later hash. Each entry therefore also gets a *seal*,
``HMAC-SHA256(seal_key, "berjasa-audit-seal/1\\n<seq>\\n<entry_hash>")``, kept in an
append-only table beside the chain. The seal key is derived from the data
folder's ``privacy.key`` file (berjasa.pseudonyms), which is not in the database:
a database writer without that file cannot make seals that verify.

Entries written before sealing existed are sealed once, when the folder is first
opened with this version (after the chain has verified); a marker file
``audit.sealed`` beside the key records that this happened, so a later deletion of
seals is reported instead of being quietly sealed again.

Shared by every hash-chained trail in berjasa (the kelurahan's ``audit_log``; the
same functions serve a central trail).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path

from berjasa.paths import write_private

SEALED_MARKER = "audit.sealed"


_seal_keys: dict[bytes, bytes] = {}  # folder key -> seal key (a process holds one or two)


def seal_key(folder_key: bytes) -> bytes:
    """The seal key derived from the data folder's key (separate purpose); derived
    once per folder key (every audited write asks)."""
    derived = _seal_keys.get(folder_key)
    if derived is None:
        derived = hmac.new(folder_key, b"berjasa audit seal key/1", hashlib.sha256).digest()
        if len(_seal_keys) < 64:
            _seal_keys[folder_key] = derived
    return derived


_sealers: dict[bytes, hmac.HMAC] = {}  # seal key -> its HMAC with no message yet


def seal(key: bytes, seq: int, entry_hash: str) -> str:
    """The seal of one entry (hex): HMAC-SHA256 by a copy of the key's HMAC, which
    has the key's blocks hashed already (a third cheaper than a one-shot HMAC)."""
    sealer = _sealers.get(key)
    if sealer is None:
        sealer = hmac.new(key, digestmod=hashlib.sha256)
        if len(_sealers) < 64:
            _sealers[key] = sealer
    mac = sealer.copy()
    mac.update(f"berjasa-audit-seal/1\n{int(seq)}\n{entry_hash}".encode())
    return mac.hexdigest()


def seal_matches(key: bytes, seq: int, entry_hash: str, mac: str | None) -> bool:
    """Whether ``mac`` is the seal of this entry (constant-time compare)."""
    return mac is not None and hmac.compare_digest(seal(key, seq, entry_hash), mac)


def seal_problem(key: bytes, seq: int, entry_hash: str, mac: str | None) -> str | None:
    """None when ``mac`` is this entry's seal, else what :func:`berjasa.audit.verify_entries`
    reports for it (the per-entry check of every sealed trail)."""
    if seal_matches(key, seq, entry_hash, mac):
        return None
    return ("seal missing" if mac is None else "seal does not match") + \
        " (rewritten without the data folder's key?)"


def orphan_seal(seq: int | None) -> dict[str, object] | None:
    """The broken entry when ``seq`` is a seal whose entry is gone (someone deleted
    entries, triggers dropped, and left their seals: the end of a trail, which its
    chain alone cannot show), else None; in the shape of
    :func:`berjasa.audit.verify_entries`. Entries and seals are written together."""
    return None if seq is None else {"seq": seq, "problem": "missing entry (deleted?): its seal remains"}


def backfill_once(data_dir: Path, chain_intact: Callable[[], bool],
                  seal_all: Callable[[], tuple[int, int]]) -> int:
    """Seal a trail's entries written before sealing existed, once per data folder
    and only when ``chain_intact()`` (so a forgery is never sealed): ``seal_all()``
    seals every unsealed entry and answers (entries sealed, last seq), then the
    folder's marker makes a seal deleted later show as missing instead of being
    sealed again. The number sealed. Shared by the kelurahan's and central's trail."""
    if backfilled(data_dir) or not chain_intact():
        return 0
    sealed, last = seal_all()
    mark_backfilled(data_dir, last)
    return sealed


def backfilled(data_dir: Path) -> bool:
    """Whether entries written before sealing were sealed already in this folder."""
    return (Path(data_dir) / SEALED_MARKER).exists()


def mark_backfilled(data_dir: Path, upto_seq: int) -> None:
    """Record that every entry up to ``upto_seq`` was sealed (never again)."""
    write_private(Path(data_dir) / SEALED_MARKER, f"{int(upto_seq)}\n".encode())
