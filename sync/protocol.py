"""The sync wire protocol shared by the kelurahan agent and central.

A batch of approved enrollments travels as one signed, compressed body::

    POST /api/v1/batches
    Content-Type: application/vnd.berjasa.batch
    Berjasa-Protocol: 1
    Berjasa-Device: <device id>
    Berjasa-Content-Hash: <base64url SHA-256 of the canonical batch>
    Berjasa-Signature: <base64url Ed25519 signature>
    <zstd (or gzip) of the columnar JSON payload>

The content hash is over the canonical row form of the batch (compact JSON,
sorted keys, UTF-8), so it names the batch's *content* whatever the compression:
central uses (batch_id, content hash) for idempotency. The signature covers the
protocol version, the device, the content hash and the SHA-256 of the body bytes
exactly as sent, so any changed byte is refused before anything is decompressed.
docs/sync-protocol.md is the reference; :mod:`sync.protocol_columns` holds the
columnar layout, :mod:`sync.protocol_body` what every signed body shares (versions,
compression, the signature check) and :mod:`sync.protocol_auth` the keys and signed
GET requests.
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

from sync import protocol_columns as columns
from sync.protocol_body import (
    OLDEST_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    TOO_NEW,
    TOO_OLD,
    ZSTD_LEVEL,
    b64,
    canonical_json,
    compress,
    decompress,
    header,
    protocol_version,
    refuse_constant,
    signed_by,
    unb64,
    verify_signature,
)
from sync.protocol_errors import ProtocolError

# the wire protocol in one name: the agent, central and the tests reach the shared
# parts (sync.protocol_body) here too
__all__ = ["BATCH_MEDIA_TYPE", "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_DECOMPRESSED_BYTES",
           "JSON_FIELDS", "OLDEST_PROTOCOL_VERSION", "OPTIONAL_FIELDS", "OPTIONAL_SINCE",
           "PROTOCOL_VERSION", "RECORD_FIELDS", "RESULTS", "RESULTS_MEDIA_TYPE", "RESULT_FIELDS",
           "TOO_NEW", "TOO_OLD", "ZSTD_LEVEL", "Batch", "ProtocolError", "batch_fields",
           "canonical_json", "compress", "content_hash", "decode_batch", "decode_results",
           "decompress", "encode_batch", "encode_results", "header", "new_batch",
           "optional_fields", "protocol_version", "record_from_row", "verify_signature"]

BATCH_MEDIA_TYPE = "application/vnd.berjasa.batch"
RESULTS_MEDIA_TYPE = "application/vnd.berjasa.results"
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

# The enrollment fields a record carries (design.md "Enrollment fields") plus the
# kelurahan-side bookkeeping central needs. The order is part of protocol version 1.
RECORD_FIELDS: tuple[str, ...] = (
    "id", "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address",
    "rt", "rw", "kelurahan_code", "mother_name", "phone", "occupation", "work_category",
    "monthly_income", "heir_name", "heir_relation", "heir_phone", "consent", "location",
    "captured_at", "notes", "version", "enumerator", "reviewed_by", "reviewed_at",
)
# Optional fields (version 2 on, OPTIONAL_SINCE), in this order after RECORD_FIELDS. A record
# carries the key only when the value is not null, and a batch has the extra columns
# only when one of its records uses them; a decoded null optional value is dropped
# again, so the content hash is the sender's. A version-1 batch has none of them.
# possible_duplicate (issue 14): "nik", "name_birth" or both joined by a comma, when
# the phone hinted "maybe registered" and the record was saved anyway.
# kpj_claim (version 3): the KPJ the kelurahan holds for a record it shows
# ``registered``, sent when ``sync resend`` sends such a record again after central
# was restored; central keeps it as a claim, never as a registration
# (docs/central.md, "Registrations a restore lost").
OPTIONAL_FIELDS: tuple[str, ...] = ("disability", "possible_duplicate", "kpj_claim")
# The protocol version that brought each optional field: an older batch has none
# of the newer ones.
OPTIONAL_SINCE = {"disability": 2, "possible_duplicate": 2, "kpj_claim": 3}
JSON_FIELDS = ("consent", "location", "disability")
_INT_BOUNDS = {"monthly_income": 2 ** 63, "version": 2 ** 31}  # BIGINT, INTEGER at central
RESULT_FIELDS = ("result", "central_id", "duplicate_of", "reasons")
RESULTS = ("accepted", "duplicate", "rejected")


@dataclass(frozen=True)
class Batch:
    """One batch: who sends it, for which kelurahan, and the records."""

    batch_id: str
    device_id: str
    kelurahan_code: str
    created_at: str
    records: list[dict[str, Any]] = field(default_factory=list)
    protocol: int = PROTOCOL_VERSION

    def as_dict(self) -> dict[str, Any]:
        """The row form whose canonical JSON the content hash is over."""
        return {
            "protocol": self.protocol, "batch_id": self.batch_id, "device_id": self.device_id,
            "kelurahan_code": self.kelurahan_code, "created_at": self.created_at,
            "records": self.records,
        }


def new_batch(device_id: str, kelurahan_code: str, records: list[Mapping[str, Any]],
              batch_id: str | None = None, created_at: str | None = None) -> Batch:
    """A batch with a fresh UUID and creation time; records go through
    :func:`record_from_row` so a database row can be passed as it is."""
    return Batch(
        batch_id=batch_id or str(uuid.uuid4()),
        device_id=device_id,
        kelurahan_code=kelurahan_code,
        created_at=created_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        records=[record_from_row(r) for r in records],
    )


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly :data:`RECORD_FIELDS` from a record or database row: absent fields
    become None, other keys are dropped, ``consent``/``location`` held as JSON
    text are parsed."""
    record = {}
    keys = row.keys()
    for name in RECORD_FIELDS:
        value = row[name] if name in keys else None
        if name in JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        record[name] = value
    for name in OPTIONAL_FIELDS:
        value = row[name] if name in keys else None
        if name in JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        if value is not None:
            record[name] = value
    return record


def optional_fields(version: int) -> tuple[str, ...]:
    """The optional columns a batch of protocol ``version`` may carry, in order."""
    return tuple(name for name in OPTIONAL_FIELDS if OPTIONAL_SINCE[name] <= version)


def batch_fields(records: list[dict[str, Any]]) -> tuple[str, ...]:
    """The columns of a batch: RECORD_FIELDS, plus the optional ones in use."""
    used = [name for name in OPTIONAL_FIELDS if any(r.get(name) is not None for r in records)]
    if not used:
        return RECORD_FIELDS
    # optional columns keep their order: one in use pulls in those before it
    last = max(OPTIONAL_FIELDS.index(name) for name in used)
    return RECORD_FIELDS + OPTIONAL_FIELDS[:last + 1]


def content_hash(batch: Batch) -> str:
    """SHA-256 (hex) of the canonical row form of the batch."""
    return hashlib.sha256(canonical_json(batch.as_dict())).hexdigest()


def encode_batch(batch: Batch, private_key: Ed25519PrivateKey, compression: str = "zstd",
                 level: int = ZSTD_LEVEL) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST for ``batch``, signed by the device key, in
    the batch's protocol version (which cannot carry optional fields newer than it)."""
    fields = batch_fields(batch.records)
    version = batch.protocol
    if not OLDEST_PROTOCOL_VERSION <= version <= PROTOCOL_VERSION:
        raise ValueError(f"protocol version {version} is not one this code writes")
    if len(fields) > len(RECORD_FIELDS) + len(optional_fields(version)):
        newer = [name for name in fields[len(RECORD_FIELDS):] if name not in optional_fields(version)]
        raise ValueError(f"a protocol {version} batch cannot carry {', '.join(newer)}")
    rows = batch.records if fields is RECORD_FIELDS else [
        {**dict.fromkeys(OPTIONAL_FIELDS), **r} for r in batch.records]
    payload = canonical_json({
        "v": version, "batch_id": batch.batch_id, "device_id": batch.device_id,
        "kelurahan_code": batch.kelurahan_code, "created_at": batch.created_at,
        "n": len(batch.records), "c": columns.encode_columns(rows, fields),
    })
    body = compress(payload, compression, level)
    digest = content_hash(batch)
    signature = private_key.sign(_batch_message(version, batch.device_id, digest, body))
    headers = {
        "Content-Type": BATCH_MEDIA_TYPE,
        "Berjasa-Protocol": str(version),
        "Berjasa-Device": batch.device_id,
        "Berjasa-Content-Hash": b64(bytes.fromhex(digest)),
        "Berjasa-Signature": b64(signature),
    }
    return body, headers


def decode_batch(body: bytes, headers: Mapping[str, str],
                 public_key_lookup: Callable[[str], Ed25519PublicKey | None],
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES) -> Batch:
    """Verify and unpack a batch body, or raise :class:`ProtocolError`.

    Checks in order: protocol version, body size, device known (the lookup returns
    its public key, None when unknown; it may raise its own error, e.g. revoked),
    signature, decompressed size, shape, device named inside, content hash.
    Every version from OLDEST_PROTOCOL_VERSION is read; the batch keeps its version."""
    version, device_id, public_key = signed_by(headers, body, max_body_bytes, "batch",
                                               public_key_lookup)
    digest_b64 = header(headers, "Berjasa-Content-Hash") or ""
    digest = unb64(digest_b64, 32).hex()
    message = _batch_message(version, device_id, digest, body)
    verify_signature(public_key, header(headers, "Berjasa-Signature") or "", message)
    payload = decompress(body, max_decompressed_bytes)
    batch = _batch_from_payload(payload, version)
    if batch.device_id != device_id:
        raise ProtocolError("wrong_device", "batch names another device")
    if content_hash(batch) != digest:
        raise ProtocolError("hash_mismatch", "content hash does not match the batch")
    return batch


def encode_results(batch_id: str, results: list[Mapping[str, Any]],
                   level: int = ZSTD_LEVEL) -> bytes:
    """Central's answer body: per-record results in batch order, without the ids
    (the agent has them), columnar and zstd-compressed."""
    rows = [{name: r.get(name) for name in RESULT_FIELDS} for r in results]
    payload = canonical_json({"v": PROTOCOL_VERSION, "batch_id": batch_id, "n": len(rows),
                              "c": columns.encode_columns(rows, RESULT_FIELDS)})
    return compress(payload, "zstd", level)


def decode_results(body: bytes, batch: Batch) -> list[dict[str, Any]]:
    """The per-record results ``{"id", "result", "central_id"?, "duplicate_of"?,
    "same_person"?, "reasons"?}`` for ``batch``, in its record order."""
    try:
        payload = json.loads(decompress(body, DEFAULT_MAX_DECOMPRESSED_BYTES))
        if payload.get("batch_id") != batch.batch_id or payload.get("n") != len(batch.records):
            raise ProtocolError("malformed", "results are for another batch")
        rows = columns.decode_columns(payload["c"], RESULT_FIELDS, payload["n"])
    except (ValueError, KeyError, TypeError, AttributeError, columns.ColumnError) as exc:
        raise ProtocolError("malformed", f"results unreadable: {exc}") from exc
    out = []
    for record, row in zip(batch.records, rows):
        result = {"id": record["id"]}
        result.update({k: v for k, v in row.items() if v is not None})
        other = result.get("duplicate_of")
        if isinstance(other, dict) and "same_person" in other:
            # a verifier's pair decision (another NIK, one person): carried inside
            # duplicate_of so that older agents, which read only its two ids, ignore it
            other = dict(other)
            if other.pop("same_person") is True:
                result["same_person"] = True
            result["duplicate_of"] = other
        out.append(result)
    return out


def _batch_message(version: int, device_id: str, digest_hex: str, body: bytes) -> bytes:
    """What the device signs: version, device, content hash and body hash."""
    body_hash = hashlib.sha256(body).hexdigest()
    return f"berjasa-batch/{version}\n{device_id}\n{digest_hex}\n{body_hash}".encode()


def _batch_from_payload(payload: bytes, version: int) -> Batch:
    """Parse and shape-check the decompressed payload of a ``version`` batch."""
    try:
        data = json.loads(payload, parse_constant=refuse_constant)
        count = data["n"]
        if data.get("v") != version or not isinstance(count, int) or count < 0:
            raise ValueError("bad header fields")
        extra = len(data["c"]) - len(RECORD_FIELDS) if isinstance(data["c"], list) else 0
        if not 0 <= extra <= len(optional_fields(version)):
            raise ValueError("wrong number of columns")
        records = columns.decode_columns(data["c"], RECORD_FIELDS + OPTIONAL_FIELDS[:extra], count)
        for record in records:
            for name in OPTIONAL_FIELDS[:extra]:
                if record[name] is None:
                    del record[name]
        meta = [data[k] for k in ("batch_id", "device_id", "kelurahan_code", "created_at")]
    except (ValueError, KeyError, TypeError, AttributeError, columns.ColumnError) as exc:
        raise ProtocolError("malformed", f"batch payload unreadable: {exc}") from exc
    if not all(isinstance(v, str) for v in meta):
        raise ProtocolError("malformed", "batch header fields must be text")
    try:
        uuid.UUID(meta[0])
    except ValueError as exc:
        raise ProtocolError("malformed", "batch_id must be a UUID") from exc
    for record in records:
        _check_record_types(record)
    return Batch(*meta, records=records, protocol=version)


def _check_record_types(record: dict[str, Any]) -> None:
    """Each field of the JSON type the kelurahan stores (the id always present):
    text without NUL, whole numbers in the database's range, objects for
    consent/location. Anything else is a malformed batch, refused before storing."""
    for name, value in record.items():
        if value is None and name != "id":
            continue
        if name in _INT_BOUNDS:
            ok = type(value) is int and abs(value) < _INT_BOUNDS[name]
        elif name in JSON_FIELDS:
            ok = isinstance(value, dict)
        else:
            ok = isinstance(value, str) and "\x00" not in value and (value or name != "id")
        if not ok:
            raise ProtocolError("malformed", f"record field {name} has the wrong type")


