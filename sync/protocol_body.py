"""What every signed body of the sync protocol shares (batches, results, erasures,
signed requests): the protocol versions and the ``Berjasa-Protocol`` header read with
its messages for the operator, headers by case-insensitive name, canonical JSON,
zstd/gzip with a limit on what a body inflates to, the Ed25519 signature check, and
unpadded base64url. docs/sync-protocol.md is the reference; the batch format is
:mod:`sync.protocol`, which names these too.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import zstandard
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.protocol_errors import ProtocolError

# Versions (docs/sync-protocol.md "Versions"). A sender labels what it sends with
# PROTOCOL_VERSION (header Berjasa-Protocol, and the signed strings); central reads
# every version from OLDEST_PROTOCOL_VERSION on, so a laptop one version behind keeps
# syncing while it waits for its upgrade, and anything older or newer is refused with
# a message naming both sides' versions and the fix (protocol_version()).
#   1  round 1: a batch has exactly the RECORD_FIELDS columns.
#   2  a batch may carry the OPTIONAL_FIELDS columns after them (disability,
#      possible_duplicate), which a version-1 central refuses as malformed.
#   3  one more optional column, kpj_claim, which a version-2 central refuses as
#      malformed (one column too many).
PROTOCOL_VERSION = 3
OLDEST_PROTOCOL_VERSION = 1
ZSTD_LEVEL = 15  # measured smaller than 19 on 500-record batches (docs)

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"


def canonical_json(value: Any) -> bytes:
    """Compact, key-sorted UTF-8 JSON: the same value always gives the same bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def compress(payload: bytes, compression: str = "zstd", level: int = ZSTD_LEVEL) -> bytes:
    """zstd (with a content checksum) or gzip of ``payload``."""
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=level, write_checksum=True).compress(payload)
    if compression == "gzip":
        return gzip.compress(payload, compresslevel=9, mtime=0)
    raise ValueError(f"unknown compression {compression!r}")


def decompress(body: bytes, limit: int) -> bytes:
    """Inflate a zstd or gzip body (told apart by magic bytes), refusing more than
    ``limit`` bytes of output: a decompression bomb stops at the limit."""
    try:
        if body.startswith(_ZSTD_MAGIC):
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
            data = reader.read(limit + 1)
        elif body.startswith(_GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=31)
            data = inflater.decompress(body, limit + 1)
            if len(data) <= limit and not inflater.eof:
                raise ProtocolError("malformed", "gzip stream truncated")
        else:
            raise ProtocolError("malformed", "body is neither zstd nor gzip")
    except (zstandard.ZstdError, zlib.error) as exc:
        raise ProtocolError("malformed", f"body does not decompress: {exc}") from exc
    if len(data) > limit:
        raise ProtocolError("too_large", "decompressed batch over the size limit")
    return data


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> None:
    """Raise ``bad_signature`` unless ``signature_b64`` signs ``message``."""
    try:
        public_key.verify(unb64(signature_b64, 64), message)
    except (InvalidSignature, ProtocolError) as exc:
        raise ProtocolError("bad_signature", "signature does not verify") from exc


def protocol_version(headers: Mapping[str, str]) -> int:
    """The version in the ``Berjasa-Protocol`` header when central reads it; else
    ``malformed`` (missing) or ``unsupported_version`` with a message for the
    operator naming the laptop's version, the versions central reads, and the fix."""
    text = header(headers, "Berjasa-Protocol")
    if text is None or not (text.isascii() and text.isdigit() and len(text) < 10):
        raise ProtocolError("malformed", "Berjasa-Protocol header missing")
    version = int(text)
    if OLDEST_PROTOCOL_VERSION <= version <= PROTOCOL_VERSION:
        return version
    names = {"sent": version, "oldest": OLDEST_PROTOCOL_VERSION, "newest": PROTOCOL_VERSION}
    if version < OLDEST_PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", f"protocol {version} is too old",
                            message=TOO_OLD.format(**names))
    raise ProtocolError("unsupported_version", f"protocol {version} is newer than central's",
                        message=TOO_NEW.format(**names))


TOO_OLD = ("Laptop kelurahan memakai protokol sinkronisasi versi {sent}, terlalu lama: pusat "
           "menerima versi {oldest} sampai {newest}. Pasang versi berjasa terbaru di laptop "
           "kelurahan, jalankan `berjasa migrate`, lalu sinkron lagi. Data yang belum terkirim "
           "tetap aman di laptop.")
TOO_NEW = ("Laptop kelurahan memakai protokol sinkronisasi versi {sent}, lebih baru dari pusat "
           "(pusat menerima versi {oldest} sampai {newest}). Perbarui pusat dulu: pasang versi "
           "berjasa yang sama di server pusat dan jalankan `berjasa central migrate`. Data yang "
           "belum terkirim tetap aman di laptop.")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name (plain dicts and Werkzeug headers)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def signed_by(headers: Mapping[str, str], body: bytes, max_body_bytes: int, what: str,
              public_key_lookup: Callable[[str], Ed25519PublicKey | None]) -> tuple[int, str, Ed25519PublicKey]:
    """The first checks of a signed body, in order: protocol version, body size (``what``
    names the body in the error), device known (the lookup returns its public key, None
    when unknown; it may raise its own error, e.g. revoked). (version, device id, key)."""
    version = protocol_version(headers)
    if len(body) > max_body_bytes:
        raise ProtocolError("too_large", f"{what} body over the size limit")
    device_id = header(headers, "Berjasa-Device") or ""
    public_key = public_key_lookup(device_id) if device_id else None
    if public_key is None:
        raise ProtocolError("unknown_device", "device not registered")
    return version, device_id, public_key


def refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (and canonical_json refuses them)."""
    raise ValueError(f"{name} is not valid JSON")


def b64(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64_decode(text: str) -> bytes:
    """Decode unpadded base64url of any length (ValueError when it is not base64)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unb64(text: str, length: int) -> bytes:
    """Decode unpadded base64url of exactly ``length`` bytes."""
    try:
        raw = b64_decode(text)
    except (ValueError, TypeError) as exc:
        raise ProtocolError("malformed", "bad base64 in a header") from exc
    if len(raw) != length or b64(raw) != text:
        raise ProtocolError("malformed", "bad base64 in a header")
    return raw
