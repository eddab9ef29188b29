"""Duplicate hints: keyed hashes of identities and the Bloom filter the phone reads.

Shared by central (which hashes every active record with its rotating key and sends
the hashes with the sync pull) and the kelurahan server (which hashes its own records
with the same key, merges central's hashes and serves the filter to phones).

Items: ``nik:<16 digits>`` and ``name:<folded name>|<YYYY-MM-DD>``. An item's keyed
hash is the first 8 bytes of HMAC-SHA256(key, item); only these 8 bytes travel
(central -> kelurahan) and only they decide the filter positions, so central never
sends a NIK, name or date and the kelurahan can merge without the values.

Why a Bloom filter and not a binary fuse / xor filter (bench/hints_bench.py measures
both): at 150,000 records x 2 keys and 1 %, the Bloom filter is ~360 KB and a
binary fuse 8 filter ~340 KB (its fingerprints give 0.39 %, it cannot be tuned to
1 % without a non-byte fingerprint); neither compresses (both are near-random bits).
The kelurahan must add its own records to central's set and rebuild often: a Bloom
filter takes inserts one by one in plain code on both sides, while a fuse filter
needs a peeling construction with retries. No maintained library reads the same
fuse format in Python and in the browser (pyfusefilter is Python-only C bindings;
npm's bloom-filters hashes differently), so the structure is specified here and in
field_client/js/dedupe.js line for line, and checked against the same vectors
(field_client/tests/dedupe_cases.json) on both sides.

Filter bytes, format 2 (base64 in JSON)::

    0      format version (2)
    1      k, the number of hash functions
    2..9   key id (8 bytes; the hex ``key_id`` of the JSON)
    10..17 first 8 bytes of SHA-256 over bytes 0..9 and the bit array (a corrupted
           or truncated download is detected)
    18..   m bits: bit j is ``byte[18 + j // 8] >> (j % 8) & 1``

Positions of an item: h1, h2 = the two big-endian uint32 of its 8-byte hash (h2 forced
odd); position i = (h1 + i * h2) mod m, for i < k.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

FORMAT_VERSION = 2
HEADER_BYTES = 18
HASH_BYTES = 8
DEFAULT_FALSE_POSITIVE_RATE = 0.01


class FilterError(ValueError):
    """A filter that cannot be used: ``code`` is ``format``, ``key_mismatch`` or ``corrupt``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class HintKey:
    """A secret for keyed hashes and its public id (the first 8 bytes of its SHA-256)."""

    key_id: str
    secret: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> HintKey:
        return cls(key_id_of(secret), secret)

    @classmethod
    def new(cls) -> HintKey:
        return cls.from_secret(os.urandom(32))


def key_id_of(secret: bytes) -> str:
    """16 hex characters; the phone checks that its key matches the filter's id."""
    return hashlib.sha256(secret).hexdigest()[:16]


def name_key(full_name: str, birth_date: str) -> str:
    """Name folded to lowercase letters only (accents, spaces, punctuation dropped)
    plus the ISO birth date: "Andi Baso'" and "andi baso" match."""
    decomposed = unicodedata.normalize("NFKD", full_name or "")
    letters = "".join(c for c in decomposed if unicodedata.category(c)[0] == "L")
    return f"{letters.lower()}|{birth_date}"


def record_items(nik: str, full_name: str, birth_date: str) -> list[str]:
    """The two strings a record contributes to the filter (NIK first)."""
    return [f"nik:{nik}", f"name:{name_key(full_name, birth_date)}"]


def item_hash(secret: bytes, item: str) -> bytes:
    """The 8-byte keyed hash of one item."""
    return hmac.new(secret, item.encode("utf-8"), hashlib.sha256).digest()[:HASH_BYTES]


def record_hashes(secret: bytes, nik: str, full_name: str, birth_date: str) -> bytes:
    """16 bytes: the NIK item's hash then the name + birth date item's hash."""
    return b"".join(item_hash(secret, item) for item in record_items(nik, full_name, birth_date))


def _positions(hashed: bytes, k: int, m: int) -> list[int]:
    h1 = int.from_bytes(hashed[0:4], "big")
    h2 = int.from_bytes(hashed[4:8], "big") | 1
    return [(h1 + i * h2) % m for i in range(k)]


def filter_shape(count: int, rate: float) -> tuple[int, int]:
    """Bits (a multiple of 8, at least 64) and hash count for ``count`` items."""
    n = max(count, 1)
    bits = max(64, math.ceil(-n * math.log(rate) / (math.log(2) ** 2)))
    bits = (bits + 7) // 8 * 8
    k = max(1, min(30, round(bits / n * math.log(2))))
    return bits, k


def _checksum(head: bytes, array: bytes) -> bytes:
    return hashlib.sha256(head + array).digest()[:8]


def build_filter(key_id: str, hashes: Iterable[bytes],
                 rate: float = DEFAULT_FALSE_POSITIVE_RATE) -> tuple[bytes, int]:
    """The filter bytes (header included) over 8-byte item hashes, and how many
    distinct hashes it holds."""
    unique = set(hashes)
    bits, k = filter_shape(len(unique), rate)
    array = bytearray(bits // 8)
    for hashed in unique:
        for pos in _positions(hashed, k, bits):
            array[pos >> 3] |= 1 << (pos & 7)
    head = bytes([FORMAT_VERSION, k]) + bytes.fromhex(key_id)
    return head + _checksum(head, bytes(array)) + bytes(array), len(unique)


def parse_filter(data: bytes, key_id: str) -> tuple[int, bytes]:
    """(k, bit array) of a filter, after checking its format, key id and checksum."""
    if not data or data[0] != FORMAT_VERSION:
        raise FilterError("format", "filter format not supported")
    if len(data) < HEADER_BYTES + 8:
        raise FilterError("corrupt", "filter truncated")
    if data[2:10].hex() != key_id:
        raise FilterError("key_mismatch", "filter was built with another key version")
    array = data[HEADER_BYTES:]
    if data[10:18] != _checksum(data[:10], array) or not 1 <= data[1] <= 30:
        raise FilterError("corrupt", "filter checksum does not match")
    return data[1], array


def contains(parsed: tuple[int, bytes], secret: bytes, item: str) -> bool:
    """Membership test on a parsed filter (what the phone does)."""
    k, array = parsed
    bits = len(array) * 8
    return all(array[p >> 3] >> (p & 7) & 1 for p in _positions(item_hash(secret, item), k, bits))


def might_contain(data: bytes, key: HintKey, item: str) -> bool:
    """Membership test on filter bytes, checked first (format, key id, checksum)."""
    return contains(parse_filter(data, key.key_id), key.secret, item)


def estimated_rate(data: bytes, distinct: int) -> float:
    """Expected false-positive rate of a filter holding ``distinct`` items."""
    k, bits = data[1], (len(data) - HEADER_BYTES) * 8
    return round((1 - math.exp(-k * distinct / bits)) ** k, 6)


def index_body(key: HintKey, hashes: Iterable[bytes], record_count: int,
               rate: float = DEFAULT_FALSE_POSITIVE_RATE) -> dict:
    """The ``GET /api/v1/field/dedupe-index`` body (shape fixed by design.md)."""
    data, distinct = build_filter(key.key_id, hashes, rate)
    return {
        "key_id": key.key_id,
        "count": record_count,
        "false_positive_rate": estimated_rate(data, distinct),
        "size_bytes": len(data),
        "filter": base64.b64encode(data).decode("ascii"),
    }


def split_hashes(blob: bytes) -> list[bytes]:
    """8-byte hashes out of a concatenation (a trailing partial hash is dropped)."""
    return [blob[i:i + HASH_BYTES] for i in range(0, len(blob) - HASH_BYTES + 1, HASH_BYTES)]
