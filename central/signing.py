"""Central's signing key: every ``/api/`` answer is signed (issue 13 item 5;
docs/central.md "Central's signing key").

The key lives in central's data folder as ``central_key.pem`` (0600); a prepared
successor as ``central_key.next.pem``. Rotation is two steps so no kelurahan is
cut off:

1. ``berjasa central key rotate`` makes the next key. Answers keep being signed
   by the current key and announce the next one (inside the signature), so every
   agent that syncs pins it as well.
2. ``berjasa central key rotate --finish`` (after every kelurahan has synced once)
   makes the next key the current one; the old key is kept as
   ``central_key.retired-<time>.pem``. Agents accept answers signed by a key they
   pinned as "next" and from then on treat it as current.

A kelurahan that did not sync between the two steps sees one clear error
(``bad_central_signature``) and registers again with a new one-time code.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, Response, request

from berjasa.paths import replace_patiently, write_private
from sync.protocol_auth import (
    UNMARKED_REQUEST_VERSION,
    answer_version,
    generate_private_key,
    key_id,
    load_private_key,
    private_key_pem,
    public_key_text,
    sign_answer,
)

CURRENT = "central_key.pem"
NEXT = "central_key.next.pem"
_cache: dict[Path, tuple[tuple, Ed25519PrivateKey, Ed25519PrivateKey | None]] = {}
_lock = threading.Lock()


class CentralKeyError(Exception):
    """The key files cannot be read or changed (one clear line)."""


def _stamp(path: Path) -> tuple:
    try:
        info = path.stat()
        return (info.st_mtime_ns, info.st_size, info.st_ino)
    except OSError:
        return ()


def ensure_key(data_dir: Path) -> None:
    """Make central's first key if the folder has none."""
    path = Path(data_dir) / CURRENT
    if not path.exists():
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        write_private(path, private_key_pem(generate_private_key()))


def keys(data_dir: Path) -> tuple[Ed25519PrivateKey, Ed25519PrivateKey | None]:
    """The current key and the prepared next one (re-read when the files change,
    so a rotation needs no restart)."""
    folder = Path(data_dir)
    stamp = (_stamp(folder / CURRENT), _stamp(folder / NEXT))
    with _lock:
        cached = _cache.get(folder)
        if cached and cached[0] == stamp:
            return cached[1], cached[2]
        try:
            current = load_private_key((folder / CURRENT).read_bytes())
            following = (load_private_key((folder / NEXT).read_bytes())
                         if (folder / NEXT).exists() else None)
        except (OSError, ValueError) as exc:
            raise CentralKeyError(f"Kunci tanda tangan pusat tidak terbaca di {folder}: {exc}") from exc
        _cache[folder] = (stamp, current, following)
        return current, following


def public_keys(data_dir: Path) -> dict[str, str | None]:
    """What a kelurahan pins at registration."""
    current, following = keys(data_dir)
    return {"central_public_key": public_key_text(current), "central_key_id": key_id(current),
            "central_next_key": public_key_text(following) if following else None}


def rotate(data_dir: Path) -> dict[str, str | None]:
    """Step 1: prepare the next key (again: the same prepared key stays)."""
    ensure_key(data_dir)
    path = Path(data_dir) / NEXT
    if not path.exists():
        write_private(path, private_key_pem(generate_private_key()))
    return public_keys(data_dir)


def finish_rotation(data_dir: Path) -> dict[str, str | None]:
    """Step 2: the prepared key becomes current; the old one is kept retired."""
    folder = Path(data_dir)
    if not (folder / NEXT).exists():
        raise CentralKeyError("Belum ada kunci berikutnya; jalankan `berjasa central key rotate` dulu "
                        "dan tunggu semua kelurahan sinkron sekali.")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    retired = folder / f"central_key.retired-{stamp}.pem"
    write_private(retired, (folder / CURRENT).read_bytes())
    replace_patiently(folder / NEXT, folder / CURRENT)
    return public_keys(data_dir)


def install(app: Flask, data_dir: Path) -> None:
    """Sign every ``/api/`` answer of ``app`` with the key in ``data_dir``."""
    ensure_key(data_dir)

    @app.after_request
    def sign(response: Response) -> Response:
        if not request.path.startswith("/api/") or response.direct_passthrough:
            return response
        current, following = keys(data_dir)
        path_qs = request.full_path if request.query_string else request.path
        binding = request.headers.get("Berjasa-Signature", "")
        response.headers.update(sign_answer(
            current, request.method, path_qs, response.status_code, binding,
            response.get_data(), public_key_text(following) if following else "",
            answer_version(request.headers, UNMARKED_REQUEST_VERSION)))
        return response
