"""unit: berjasa.audit_seal.seal — HMAC-SHA256 with the seal key over
"berjasa-audit-seal/1\\n<seq>\\n<entry_hash>" (docs/audit-chain.md), hex, whatever
the key and however many seals a key makes."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa import audit_seal
from tests.helpers import examples


def documented(key: bytes, seq: int, entry_hash: str) -> str:
    message = f"berjasa-audit-seal/1\n{seq}\n{entry_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(min_size=0, max_size=100), st.integers(min_value=1, max_value=2 ** 62),
       st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_a_seal_is_the_documented_hmac(key, seq, entry_hash):
    assert audit_seal.seal(key, seq, entry_hash) == documented(key, seq, entry_hash)
    assert audit_seal.seal(key, seq, entry_hash) == documented(key, seq, entry_hash)  # again


def test_seals_of_one_key_do_not_carry_over():
    key = audit_seal.seal_key(b"folder key")
    seals = [audit_seal.seal(key, seq, "ab" * 32) for seq in (1, 2, 1)]
    assert seals == [documented(key, 1, "ab" * 32), documented(key, 2, "ab" * 32), seals[0]]
    assert audit_seal.seal_matches(key, 2, "ab" * 32, seals[1])
    assert not audit_seal.seal_matches(key, 1, "ab" * 32, seals[1])
