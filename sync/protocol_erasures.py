"""Signed erasures: a kelurahan tells central which of its records were erased
(UU 27/2022; docs/sync-protocol.md "Erasures"). An addition to protocol 1: a new
endpoint, nothing changes for batches, updates or older agents.

    POST /api/v1/erasures
    Content-Type: application/vnd.berjasa.erasures+json
    Berjasa-Protocol: 1
    Berjasa-Device: <device id>
    Berjasa-Signature: <base64url Ed25519 over "berjasa-erasures/1\\n<device>\\n<sha256 hex of body>">
    {"v": 1, "erasure_id": UUID, "device_id", "kelurahan_code", "created_at",
     "records": [{"record_id", "erased_at", "origin", "reason"?}]}

The body names records by their ids (random UUIDs), never by NIK or name. A record
may carry ``"reason"``: the erasure's reason as the kelurahan recorded it (a letter
number, "Surat 02/PDP/2026"; free text of at most 500 characters, checked at entry),
which central keeps with its erasure. It is optional both ways: a laptop before it
sends none (central records "Dihapus di kelurahan"), and a central before it ignores
the key. Central answers ``{"erasure_id", "results": [{"record_id", "result"}]}``
with ``result`` one of ``erased`` (held, now wiped), ``tombstoned`` (not received
yet: a later arrival is refused) or ``already_erased``. Sending the same erasure
again is harmless (the answer is ``already_erased``), so a replay changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from berjasa.checks import has_unprintable
from berjasa.erasure import MAX_REASON
from sync.protocol_body import (
    PROTOCOL_VERSION,
    b64,
    canonical_json,
    header,
    signed_by,
    verify_signature,
)
from sync.protocol_errors import ProtocolError

ERASURES_MEDIA_TYPE = "application/vnd.berjasa.erasures+json"
MAX_ERASURES = 1000
MAX_BODY_BYTES = 1024 * 1024
ORIGINS = ("kelurahan", "central")
RESULTS = ("erased", "tombstoned", "already_erased")


@dataclass(frozen=True)
class Erasures:
    """One signed list of erased record ids from one device."""

    erasure_id: str
    device_id: str
    kelurahan_code: str
    created_at: str
    records: list[dict[str, Any]] = field(default_factory=list)


def _message(device_id: str, body: bytes, version: int = PROTOCOL_VERSION) -> bytes:
    return f"berjasa-erasures/{version}\n{device_id}\n{hashlib.sha256(body).hexdigest()}".encode()


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One record of the body; ``reason`` only when there is one."""
    record = {"record_id": row["record_id"], "erased_at": row["erased_at"],
              "origin": row.get("origin", "kelurahan")}
    if row.get("reason"):
        record["reason"] = row["reason"]
    return record


# What a body holds besides its records (ids, times, the keys), generously.
_ENVELOPE_BYTES = 1024


def first_request(rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The leading rows that fit one request: at most :data:`MAX_ERASURES`, and a body
    within :data:`MAX_BODY_BYTES` (reasons are up to 500 characters each)."""
    size, count = _ENVELOPE_BYTES, 0
    for row in rows[:MAX_ERASURES]:
        size += len(canonical_json(_record(row))) + 1
        if size > MAX_BODY_BYTES and count:
            break
        count += 1
    return rows[:count]


def encode_erasures(device_id: str, kelurahan_code: str, records: list[Mapping[str, Any]],
                    private_key: Ed25519PrivateKey, erasure_id: str | None = None,
                    created_at: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST, signed by the device key (the records of
    :func:`first_request`, to stay within the limits)."""
    body = canonical_json({
        "v": PROTOCOL_VERSION, "erasure_id": erasure_id or str(uuid.uuid4()),
        "device_id": device_id, "kelurahan_code": kelurahan_code,
        "created_at": created_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "records": [_record(r) for r in records],
    })
    headers = {
        "Content-Type": ERASURES_MEDIA_TYPE,
        "Berjasa-Protocol": str(PROTOCOL_VERSION),
        "Berjasa-Device": device_id,
        "Berjasa-Signature": b64(private_key.sign(_message(device_id, body))),
    }
    return body, headers


def decode_erasures(body: bytes, headers: Mapping[str, str],
                    public_key_lookup: Callable[[str], Ed25519PublicKey | None],
                    max_body_bytes: int = MAX_BODY_BYTES) -> Erasures:
    """Verify and parse an erasures body, or raise :class:`ProtocolError`:
    version, size, device known, signature, shape, device named inside."""
    # every version central reads; the format is the same
    version, device_id, public_key = signed_by(headers, body, max_body_bytes, "erasures",
                                               public_key_lookup)
    verify_signature(public_key, header(headers, "Berjasa-Signature") or "",
                     _message(device_id, body, version))
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("v") != version:
            raise ValueError("bad version")
        meta = [data[k] for k in ("erasure_id", "device_id", "kelurahan_code", "created_at")]
        records = data["records"]
        if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in meta):
            raise ValueError("header fields must be short text")
        uuid.UUID(meta[0])
        if not isinstance(records, list) or len(records) > MAX_ERASURES:
            raise ValueError(f"records must be a list of at most {MAX_ERASURES}")
        clean = []
        for item in records:
            rid, at, origin = item["record_id"], item["erased_at"], item.get("origin", "kelurahan")
            if not (isinstance(rid, str) and 0 < len(rid) <= 100 and "\x00" not in rid
                    and isinstance(at, str) and len(at) <= 40 and origin in ORIGINS):
                raise ValueError("bad record entry")
            clean.append({"record_id": rid, "erased_at": at, "origin": origin,
                          "reason": _reason(item.get("reason"))})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError("malformed", f"erasures unreadable: {exc}") from exc
    if meta[1] != device_id:
        raise ProtocolError("wrong_device", "erasures name another device")
    return Erasures(*meta, records=clean)


def _reason(value: Any) -> str | None:
    """An erasure's reason as sent: text the kelurahan's entry check lets through
    (at most 500 characters, nothing a terminal or a CSV reader acts on), or None."""
    if value is None:
        return None
    if not (isinstance(value, str) and 0 < len(value.strip()) and len(value) <= MAX_REASON
            and not has_unprintable(value)):
        raise ValueError("reason must be printable text of at most 500 characters")
    return value.strip()


def decode_answer(body: bytes, erasure_id: str) -> dict[str, str]:
    """Central's answer as {record_id: result}."""
    try:
        data = json.loads(body)
        if data["erasure_id"] != erasure_id:
            raise ValueError("answer for another erasure")
        return {r["record_id"]: r["result"] for r in data["results"] if r["result"] in RESULTS}
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError("malformed", f"erasures answer unreadable: {exc}") from exc
