"""Device keys and signed GET requests for the sync protocol.

Each kelurahan laptop holds one Ed25519 private key (PEM in its data folder);
central holds the public key, registered once with a one-time code. Batches are
signed by :func:`sync.protocol.encode_batch`; other requests (``GET
/api/v1/updates``) carry four headers made by :func:`sign_request`:

    Berjasa-Device: <device id>
    Berjasa-Timestamp: <unix seconds>
    Berjasa-Nonce: <16 random bytes, base64url>
    Berjasa-Signature: <Ed25519 over "berjasa-request/1\\nMETHOD\\npath?query\\ntimestamp\\nnonce\\ndevice">

Central refuses a timestamp further than its skew setting from its clock and a
nonce it has already seen within that window (a replayed request).

Central's answers are signed too (issue 13): central holds its own Ed25519 key,
whose public half the kelurahan pins at registration. Every ``/api/`` answer
carries

    Berjasa-Central-Key: <key id of the signing key>
    Berjasa-Central-Next-Key: <public key central will sign with next, if any>
    Berjasa-Central-Signature: <Ed25519 over :func:`answer_message`>

The message binds the answer to the request it answers (method, path and query,
the request's own ``Berjasa-Signature``), its status, the announced next key and
the SHA-256 of the body: an answer cannot be altered, moved to another request
or replayed for a later one.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from sync.protocol_body import (
    PROTOCOL_VERSION,
    b64,
    b64_decode,
    header,
    protocol_version,
    verify_signature,
)
from sync.protocol_errors import ProtocolError

DEFAULT_MAX_SKEW_SECONDS = 300


def generate_private_key() -> Ed25519PrivateKey:
    """A new device key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    """PEM (PKCS#8, unencrypted: the data folder is the laptop's protected store) of a
    device key, or of a static exchange key (:mod:`sync.protocol_sealed`)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_key(pem: bytes, kind: type = Ed25519PrivateKey) -> Any:
    """The key back from :func:`private_key_pem`, of ``kind`` (a device key unless told)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, kind):
        # ValueError like cryptography's own for a bad PEM: callers treat both as unreadable
        raise ValueError(f"not an {kind.__name__.removesuffix('PrivateKey')} private key")  # noqa: TRY004
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey
                    | X25519PublicKey) -> str:
    """The raw 32-byte public key as unpadded base64url, 43 characters (what
    registration sends; a static exchange key's too)."""
    private = isinstance(key, (Ed25519PrivateKey, X25519PrivateKey))
    public = key.public_key() if private else key
    return b64(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    """Parse :func:`public_key_text` output; ValueError when it is not a key."""
    try:
        raw = b64_decode(text)
    except (ValueError, TypeError) as exc:
        raise ValueError("public key is not base64url") from exc
    if len(raw) != 32:
        raise ValueError("public key must be 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def request_message(method: str, path_qs: str, timestamp: str, nonce: str, device_id: str,
                    version: int = PROTOCOL_VERSION) -> bytes:
    """The bytes a device signs for a request (in protocol ``version``)."""
    return (f"berjasa-request/{version}\n{method.upper()}\n{path_qs}\n"
            f"{timestamp}\n{nonce}\n{device_id}").encode()


def sign_request(private_key: Ed25519PrivateKey, device_id: str, method: str, path_qs: str,
                 now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers authenticating one request; ``path_qs`` is the path with its query
    string exactly as sent (``/api/v1/updates?since=42``)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = nonce or b64(secrets.token_bytes(16))
    signature = private_key.sign(request_message(method, path_qs, timestamp, nonce, device_id))
    return {
        "Berjasa-Protocol": str(PROTOCOL_VERSION),
        "Berjasa-Device": device_id,
        "Berjasa-Timestamp": timestamp,
        "Berjasa-Nonce": nonce,
        "Berjasa-Signature": b64(signature),
    }


def verify_request(headers: Mapping[str, str], method: str, path_qs: str,
                   public_key_lookup: Callable[[str], Ed25519PublicKey | None],
                   now: float | None = None,
                   max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS) -> tuple[str, str, int]:
    """Check a signed request; returns (device id, nonce, timestamp). The caller
    must still refuse a nonce it has seen (it owns the nonce store)."""
    version = (protocol_version(headers) if header(headers, "Berjasa-Protocol") is not None
               else PROTOCOL_VERSION)
    device_id = header(headers, "Berjasa-Device") or ""
    timestamp = header(headers, "Berjasa-Timestamp") or ""
    nonce = header(headers, "Berjasa-Nonce") or ""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 16) \
            or not 8 <= len(nonce) <= 64:
        raise ProtocolError("unsigned_request", "timestamp or nonce header missing")
    if abs(int(timestamp) - (now if now is not None else time.time())) > max_skew_seconds:
        raise ProtocolError("stale_request", "timestamp outside the allowed skew")
    public_key = public_key_lookup(device_id) if device_id else None
    if public_key is None:
        raise ProtocolError("unknown_device", "device not registered")
    message = request_message(method, path_qs, timestamp, nonce, device_id, version)
    verify_signature(public_key, header(headers, "Berjasa-Signature") or "", message)
    return device_id, nonce, int(timestamp)


# --- central's signed answers ---------------------------------------------------


# The version of a registration (``POST /api/v1/devices/register``) that carries no
# ``Berjasa-Protocol``. Laptops of every release up to 2026-11-27 sent none: those of
# protocol 1 check the answer in version 1, those of protocol 2 (the release in the
# field) in version 2, and the two send the same body, so central cannot tell them
# apart. It answers in version 2: the laptops in use register again after a revocation
# or a key rotation; a protocol-1 laptop is upgraded before it registers (its batches
# are still read). From 2026-11-27 the registration says its version.
UNMARKED_REQUEST_VERSION = 2


def answer_version(request_headers: Mapping[str, str],
                   unmarked: int = PROTOCOL_VERSION) -> int:
    """The version central signs an answer in: the request's, when it reads it;
    ``unmarked`` for a request without the header (central passes
    UNMARKED_REQUEST_VERSION)."""
    if header(request_headers, "Berjasa-Protocol") is None:
        return unmarked
    try:
        return protocol_version(request_headers)
    except ProtocolError:
        return PROTOCOL_VERSION


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short name for a public key: 16 base64url characters of its SHA-256."""
    return b64(hashlib.sha256(b64_decode(public_key_text(key))).digest())[:16]


def answer_message(method: str, path_qs: str, status: int, binding: str, next_key: str,
                   body: bytes, version: int = PROTOCOL_VERSION) -> bytes:
    """The bytes central signs for an answer (``binding``: the request's
    ``Berjasa-Signature``, empty for an unsigned request), in the protocol version
    of the request it answers."""
    return (f"berjasa-answer/{version}\n{method.upper()}\n{path_qs}\n{int(status)}\n"
            f"{binding}\n{next_key}\n{hashlib.sha256(body).hexdigest()}").encode()


def sign_answer(key: Ed25519PrivateKey, method: str, path_qs: str, status: int, binding: str,
                body: bytes, next_key: str = "", version: int = PROTOCOL_VERSION) -> dict[str, str]:
    """Headers signing one answer with central's key, in the request's ``version``."""
    signature = key.sign(answer_message(method, path_qs, status, binding, next_key, body, version))
    headers = {"Berjasa-Central-Key": key_id(key),
               "Berjasa-Central-Signature": b64(signature)}
    if next_key:
        headers["Berjasa-Central-Next-Key"] = next_key
    return headers


def verify_answer(headers: Mapping[str, str], method: str, path_qs: str, status: int,
                  binding: str, body: bytes,
                  pinned: Mapping[str, Ed25519PublicKey],
                  version: int = PROTOCOL_VERSION) -> tuple[str, str]:
    """Check central's signature on an answer against the pinned keys (key id ->
    key), in the protocol ``version`` the request was sent in (a batch stored before
    an upgrade goes out again in its own version); returns (the key id that signed,
    the next key announced or "").
    Raises ``bad_central_signature``."""
    used = header(headers, "Berjasa-Central-Key") or ""
    next_key = header(headers, "Berjasa-Central-Next-Key") or ""
    public_key = pinned.get(used)
    if public_key is None:
        raise ProtocolError("bad_central_signature",
                            f"answer signed by key {used[:20]!r}, not a pinned one",
                            UNKNOWN_CENTRAL_KEY.format(key=used[:20]) if used else ALTERED_ANSWER)
    try:
        verify_signature(public_key, header(headers, "Berjasa-Central-Signature") or "",
                         answer_message(method, path_qs, status, binding, next_key, body, version))
    except ProtocolError as exc:
        raise ProtocolError("bad_central_signature", "signature does not verify",
                            ALTERED_ANSWER) from exc
    if next_key:
        try:
            load_public_key(next_key)
        except ValueError as exc:
            raise ProtocolError("bad_central_signature", "announced next key is not a key",
                                ALTERED_ANSWER) from exc
    return used, next_key


# What the operator reads when an answer of central cannot be trusted. Nothing was
# refused: central may well have stored what was sent, but its answer is not stored
# here, so the records stay waiting (nothing lost), and the next try asks again.
UNKNOWN_CENTRAL_KEY = (
    "Jawaban pusat ditandatangani dengan kunci '{key}' yang tidak dikenal laptop ini, jadi "
    "jawaban itu diabaikan. Data yang dikirim mungkin sudah diterima pusat; di laptop ini "
    "data itu tetap menunggu dan tidak hilang. Pusat kemungkinan sudah mengganti kunci "
    "tanda tangannya: minta kode baru ke kantor pusat (berjasa central device add --kelurahan "
    "KODE), daftarkan ulang laptop ini (berjasa sync register --central URL --code KODE), "
    "lalu sinkronkan lagi.")
ALTERED_ANSWER = (
    "Tanda tangan jawaban pusat tidak sah (jawaban diubah di perjalanan atau bukan dari "
    "pusat), jadi jawaban itu diabaikan; data di laptop ini tetap menunggu dan tidak hilang. "
    "Periksa jaringan atau proxy; bila terus terjadi, hubungi kantor pusat.")
