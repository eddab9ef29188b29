"""Duplicate hints for the phone: a Bloom filter over keyed hashes.

The phone must warn "this NIK (or this name + birth date) may already be
registered" with no signal, yet must not carry the register. So it gets a Bloom
filter over HMAC-SHA256(kelurahan key, item) of every record the kelurahan knows:
no NIK, name or date in clear. The key is handed only to authenticated
enumerators; with it, someone could test guesses, but a false-positive rate of
about 1% means a guessed NIK "hit" proves little (NIK serials give ~10,000 guesses
per birth date and region, so ~100 false hits). The server stays the authority:
a hint is a prompt to check, never a refusal.

Filter bytes (base64 in JSON): byte 0 format version (1), byte 1 the number of
hash functions k, then m bits (bit j is ``byte[2 + j // 8] >> (j % 8) & 1``).
Positions: h1, h2 = the first two big-endian uint32 of the HMAC (h2 forced odd);
position i = (h1 + i * h2) mod m. field_client/js/dedupe.js reads the same format.
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
from pathlib import Path

FORMAT_VERSION = 1
DEFAULT_FALSE_POSITIVE_RATE = 0.01
KEY_FILE = "field_dedupe.key"


@dataclass(frozen=True)
class DedupeKey:
    """The kelurahan's secret for keyed hashes, and its public id."""

    key_id: str
    secret: bytes


def load_or_create_key(data_dir: Path) -> DedupeKey:
    """The key stored in the data folder, created (32 random bytes) on first use.
    Delete the file to rotate it; phones fetch the new one with the next index."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two threads racing on first use must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(32))
    secret = path.read_bytes()
    return DedupeKey(hashlib.sha256(secret).hexdigest()[:16], secret)


def name_key(full_name: str, birth_date: str) -> str:
    """Name folded to lowercase letters only (accents, spaces, punctuation dropped)
    plus the ISO birth date: "Andi Baso'" and "andi baso" match."""
    decomposed = unicodedata.normalize("NFKD", full_name or "")
    letters = "".join(c for c in decomposed if unicodedata.category(c)[0] == "L")
    return f"{letters.lower()}|{birth_date}"


def record_items(nik: str, full_name: str, birth_date: str) -> list[str]:
    """The two strings a record contributes to the filter."""
    return [f"nik:{nik}", f"name:{name_key(full_name, birth_date)}"]


def _positions(secret: bytes, item: str, k: int, m: int) -> list[int]:
    digest = hmac.new(secret, item.encode("utf-8"), hashlib.sha256).digest()
    h1 = int.from_bytes(digest[0:4], "big")
    h2 = int.from_bytes(digest[4:8], "big") | 1
    return [(h1 + i * h2) % m for i in range(k)]


def filter_shape(count: int, rate: float) -> tuple[int, int]:
    """Bits (a multiple of 8, at least 64) and hash count for ``count`` items."""
    n = max(count, 1)
    bits = max(64, math.ceil(-n * math.log(rate) / (math.log(2) ** 2)))
    bits = (bits + 7) // 8 * 8
    k = max(1, min(30, round(bits / n * math.log(2))))
    return bits, k


def build_filter(secret: bytes, items: Iterable[str],
                 rate: float = DEFAULT_FALSE_POSITIVE_RATE) -> tuple[bytes, int]:
    """The filter bytes (header included) and the number of distinct items."""
    unique = sorted(set(items))
    bits, k = filter_shape(len(unique), rate)
    array = bytearray(bits // 8)
    for item in unique:
        for pos in _positions(secret, item, k, bits):
            array[pos >> 3] |= 1 << (pos & 7)
    return bytes([FORMAT_VERSION, k]) + bytes(array), len(unique)


def might_contain(filter_bytes: bytes, secret: bytes, item: str) -> bool:
    """Membership test (what the phone does), for tests and the server's own use."""
    k, bits = filter_bytes[1], (len(filter_bytes) - 2) * 8
    return all(filter_bytes[2 + (p >> 3)] >> (p & 7) & 1 for p in _positions(secret, item, k, bits))


def estimated_rate(filter_bytes: bytes, distinct: int) -> float:
    """Expected false-positive rate of a filter holding ``distinct`` items."""
    k, bits = filter_bytes[1], (len(filter_bytes) - 2) * 8
    return round((1 - math.exp(-k * distinct / bits)) ** k, 6)


def dedupe_index(key: DedupeKey, records: Iterable[tuple[str, str, str]],
                 rate: float = DEFAULT_FALSE_POSITIVE_RATE) -> dict:
    """The ``GET /api/v1/field/dedupe-index`` body for (nik, full_name, birth_date) rows.
    ``count`` is the number of records; the filter holds two items per record."""
    rows = list(records)
    items = [item for row in rows for item in record_items(*row)]
    data, distinct = build_filter(key.secret, items, rate)
    return {
        "key_id": key.key_id,
        "count": len(rows),
        "false_positive_rate": estimated_rate(data, distinct),
        "size_bytes": len(data),
        "filter": base64.b64encode(data).decode("ascii"),
    }
