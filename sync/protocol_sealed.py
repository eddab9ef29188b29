"""Sealed files for sync by USB stick (design.md "Operations and security (round 2)").

A kelurahan with no usable link (Kepulauan Sangkarrang's islands) carries its
batches to the city office on a stick, and central's answers come back the same
way. A stick gets lost, so each file is encrypted to its one reader and
authenticated as coming from its one writer, with no passphrase to type:

* every party has a static X25519 key: central's is made at central and handed to
  the laptop at ``sync register`` (the laptop pins it); the laptop's is derived from
  its Ed25519 device key (HKDF), and its public half is registered at central with
  the device;
* a file's key is HKDF-SHA256 over ECDH(ephemeral, reader) || ECDH(writer, reader):
  the ephemeral half gives each file a fresh key, the static half proves the writer
  (only the writer and the reader can compute it);
* the body is zstd-compressed JSON sealed with AES-256-GCM; the clear header (format,
  kind, who wrote it, for whom, when) is the associated data, so it cannot be changed.

The batches inside keep the device's own Ed25519 signatures: central checks each one
exactly as it checks a batch that came over the network.

File layout: ``BERJASA-USB/1\\n``, 4-byte big-endian header length, the header
(canonical JSON), then the ciphertext.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from datetime import datetime, timezone
from typing import Any

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.protocol_auth import load_private_key, private_key_pem, public_key_text
from sync.protocol_body import b64, b64_decode

MAGIC = b"BERJASA-USB/1\n"
FORMAT = "berjasa-usb/1"
KINDS = ("batches", "answers")
MAX_HEADER_BYTES = 16_384
MAX_FILE_BYTES = 1 << 30          # 1 GiB: far above a kelurahan's register
MAX_PLAIN_BYTES = 4 << 30


class SealedFileError(ValueError):
    """The file is not a sealed berjasa file, not for this reader, or damaged."""


def new_exchange_key() -> X25519PrivateKey:
    """A new static exchange key (central's)."""
    return X25519PrivateKey.generate()


def exchange_key_from_device_key(device_key: Ed25519PrivateKey) -> X25519PrivateKey:
    """The laptop's exchange key, derived from its device key: nothing more to keep."""
    raw = device_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
    seed = HKDF(hashes.SHA256(), 32, salt=None, info=b"berjasa-usb/1 device exchange key"
                ).derive(raw)
    return X25519PrivateKey.from_private_bytes(seed)


def public_text(key: X25519PrivateKey | X25519PublicKey) -> str:
    """The public half as unpadded base64url text (43 characters)."""
    return public_key_text(key)


def load_public(text: Any) -> X25519PublicKey:
    """A public exchange key from its text; ValueError when it is not one."""
    if not isinstance(text, str) or len(text) != 43:
        raise ValueError("not an X25519 public key")
    try:
        return X25519PublicKey.from_public_bytes(b64_decode(text))
    except Exception as exc:  # binascii.Error, ValueError
        raise ValueError("not an X25519 public key") from exc


def private_pem(key: X25519PrivateKey) -> bytes:
    """PEM of a static exchange key (kept owner-only in the data folder)."""
    return private_key_pem(key)


def load_private_pem(data: bytes) -> X25519PrivateKey:
    """A static exchange key from its PEM (ValueError when it is not one)."""
    return load_private_key(data, X25519PrivateKey)


def _file_key(ephemeral_secret: bytes, static_secret: bytes, header: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"berjasa-usb/1 " + header
                ).derive(ephemeral_secret + static_secret)


def seal(kind: str, payload: dict[str, Any], writer: X25519PrivateKey, reader: X25519PublicKey,
         meta: dict[str, Any]) -> bytes:
    """The sealed file bytes of ``payload`` from ``writer`` for ``reader``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    ephemeral = X25519PrivateKey.generate()
    nonce = os.urandom(12)
    header = json.dumps({
        "format": FORMAT, "kind": kind, "writer": public_text(writer), "reader": public_text(reader),
        "ephemeral": public_text(ephemeral), "nonce": b64(nonce),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **meta,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    key = _file_key(ephemeral.exchange(reader), writer.exchange(reader), header)
    plain = zstandard.ZstdCompressor(level=10).compress(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return MAGIC + struct.pack(">I", len(header)) + header + AESGCM(key).encrypt(nonce, plain, header)


def read_header(data: bytes) -> dict[str, Any]:
    """The clear header of a sealed file (not yet authenticated)."""
    if len(data) > MAX_FILE_BYTES:
        raise SealedFileError("berkas terlalu besar untuk berkas sinkronisasi USB")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise SealedFileError("bukan berkas sinkronisasi USB berjasa")
    (length,) = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    if length > MAX_HEADER_BYTES or start + length > len(data):
        raise SealedFileError("kepala berkas rusak")
    try:
        header = json.loads(data[start:start + length])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SealedFileError("kepala berkas rusak") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SealedFileError("format berkas tidak dikenal")
    return header


# What each kind of file holds and where it is imported, in the operator's words.
KIND_WORDS = {
    "batches": ("batch dari laptop kelurahan (diimpor di kantor pusat: "
                "berjasa central import-batches)"),
    "answers": ("jawaban pusat (diimpor di laptop kelurahan: berjasa sync import-answers)"),
}


def open_sealed(data: bytes, reader: X25519PrivateKey, kind: str,
                writer: X25519PublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a sealed file meant for ``reader``, written by ``writer``.
    SealedFileError with one clear line otherwise (wrong kind, another reader,
    another writer, altered or cut bytes)."""
    header = read_header(data)
    if header.get("kind") != kind:
        found = KIND_WORDS.get(str(header.get("kind")), "isi yang tidak dikenal")
        raise SealedFileError(f"berkas ini berisi {found}, bukan {KIND_WORDS[kind]}")
    if header.get("reader") != public_text(reader):
        raise SealedFileError("berkas ini bukan untuk penerima ini (kunci tujuan lain)")
    if header.get("writer") != public_text(writer):
        raise SealedFileError("berkas ini tidak ditulis oleh pengirim yang terdaftar")
    length = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])[0]
    raw_header = data[len(MAGIC) + 4:len(MAGIC) + 4 + length]
    try:
        ephemeral = load_public(header.get("ephemeral"))
        nonce = b64_decode(header.get("nonce") or "")
        key = _file_key(reader.exchange(ephemeral), reader.exchange(writer), raw_header)
        plain = AESGCM(key).decrypt(nonce, data[len(MAGIC) + 4 + length:], raw_header)
    except (ValueError, InvalidTag) as exc:
        raise SealedFileError("berkas rusak atau diubah (autentikasi gagal)") from exc
    try:
        text = zstandard.ZstdDecompressor().decompress(plain, max_output_size=MAX_PLAIN_BYTES)
        payload = json.loads(text)
    except (zstandard.ZstdError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SealedFileError("isi berkas rusak") from exc
    if not isinstance(payload, dict):
        raise SealedFileError("isi berkas rusak")
    return header, payload


def encode_bytes(raw: bytes) -> str:
    """Bytes inside a sealed payload (batch bodies, answers)."""
    return base64.b64encode(raw).decode()


def decode_bytes(text: Any) -> bytes:
    """The bytes of :func:`encode_bytes`; SealedFileError when damaged."""
    try:
        return base64.b64decode(text, validate=True)
    except (TypeError, ValueError) as exc:
        raise SealedFileError("isi berkas rusak (bagian biner)") from exc
