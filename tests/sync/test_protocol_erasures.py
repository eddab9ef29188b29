"""sync/protocol_erasures.py: signed erasures round-trip for any record ids the
kelurahan can hold; any changed byte, another key, another device named inside,
a wrong version or an oversized body is refused with its code (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import protocol_erasures as pe
from sync.protocol import PROTOCOL_VERSION
from sync.protocol_auth import generate_private_key
from sync.protocol_errors import ProtocolError
from tests.helpers import examples

KEY = generate_private_key()
OTHER = generate_private_key()
DEVICE = "dev-1"
record_ids = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     min_size=1, max_size=100)
items = st.lists(st.builds(lambda rid: {"record_id": rid, "erased_at": "2026-11-25T00:00:00+00:00"},
                           record_ids), max_size=20)


def lookup(device_id: str):
    return KEY.public_key() if device_id == DEVICE else None


@settings(max_examples=examples(60), deadline=None)
@given(items)
def test_round_trip(records):
    body, headers = pe.encode_erasures(DEVICE, "73.71.01.1001", records, KEY)
    decoded = pe.decode_erasures(body, headers, lookup)
    assert [r["record_id"] for r in decoded.records] == [r["record_id"] for r in records]
    assert decoded.kelurahan_code == "73.71.01.1001" and decoded.device_id == DEVICE


@settings(max_examples=examples(60), deadline=None)
@given(items, st.data())
def test_any_changed_byte_is_refused(records, data):
    body, headers = pe.encode_erasures(DEVICE, "73.71.01.1001", records, KEY)
    index = data.draw(st.integers(0, len(body) - 1))
    flipped = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1:]
    with pytest.raises(ProtocolError) as refused:
        pe.decode_erasures(flipped, headers, lookup)
    assert refused.value.code == "bad_signature"


def test_refusals_name_the_reason():
    records = [{"record_id": "r1", "erased_at": "2026-11-25T00:00:00+00:00"}]
    body, headers = pe.encode_erasures(DEVICE, "73.71.01.1001", records, OTHER)
    with pytest.raises(ProtocolError, match="signature"):
        pe.decode_erasures(body, headers, lookup)
    body, headers = pe.encode_erasures("dev-2", "73.71.01.1001", records, KEY)
    with pytest.raises(ProtocolError) as unknown:
        pe.decode_erasures(body, headers, lookup)
    assert unknown.value.code == "unknown_device"
    body, headers = pe.encode_erasures(DEVICE, "73.71.01.1001", records, KEY)
    with pytest.raises(ProtocolError) as version:
        pe.decode_erasures(body, {**headers, "Berjasa-Protocol": str(PROTOCOL_VERSION + 1)}, lookup)
    assert version.value.code == "unsupported_version"
    with pytest.raises(ProtocolError) as large:
        pe.decode_erasures(b"x" * (pe.MAX_BODY_BYTES + 1), headers, lookup)
    assert large.value.code == "too_large"
    # a body naming another device, signed by this one
    forged = json.dumps({"v": pe.PROTOCOL_VERSION, "erasure_id": "00000000-0000-4000-8000-000000000000",
                         "device_id": "dev-2", "kelurahan_code": "73.71.01.1001",
                         "created_at": "x", "records": []}).encode()
    from sync.protocol_body import b64 as _b64
    signed = {**headers, "Berjasa-Signature": _b64(KEY.sign(pe._message(DEVICE, forged)))}
    with pytest.raises(ProtocolError) as wrong:
        pe.decode_erasures(forged, signed, lookup)
    assert wrong.value.code == "wrong_device"
    for bad in ({"records": "x"}, {"records": [{"record_id": ""}]},
                {"records": [{"record_id": "a", "erased_at": "t", "origin": "mars"}]},
                {"records": [{"record_id": "a", "erased_at": "t"}] * (pe.MAX_ERASURES + 1)}):
        payload = json.dumps({"v": pe.PROTOCOL_VERSION, "erasure_id": "00000000-0000-4000-8000-000000000000",
                              "device_id": DEVICE, "kelurahan_code": "k", "created_at": "x",
                              **bad}).encode()
        signed = {**headers, "Berjasa-Signature": _b64(KEY.sign(pe._message(DEVICE, payload)))}
        with pytest.raises(ProtocolError) as malformed:
            pe.decode_erasures(payload, signed, lookup)
        assert malformed.value.code == "malformed"


def test_a_reason_travels_when_there_is_one_and_must_be_printable_text():
    rows = [{"record_id": "r1", "erased_at": "2026-11-25T00:00:00+00:00", "reason": "Surat 02/PDP/2026"},
            {"record_id": "r2", "erased_at": "2026-11-25T00:00:00+00:00", "reason": None}]
    body, headers = pe.encode_erasures(DEVICE, "73.71.01.1001", rows, KEY)
    assert [r.get("reason") for r in json.loads(body)["records"]] == ["Surat 02/PDP/2026", None]
    assert "reason" not in json.loads(body)["records"][1]  # as a laptop before it sent
    decoded = pe.decode_erasures(body, headers, lookup)
    assert [r["reason"] for r in decoded.records] == ["Surat 02/PDP/2026", None]
    for bad in (7, "", " ", "x" * 501, "Surat\x1b[31m 1", ["Surat"]):
        body, headers = pe.encode_erasures(
            DEVICE, "73.71.01.1001", [{"record_id": "r1", "erased_at": "t", "reason": "ok"}], KEY)
        payload = json.loads(body)
        payload["records"][0]["reason"] = bad
        forged = json.dumps(payload).encode()
        from sync.protocol_body import b64 as _b64
        signed = {**headers, "Berjasa-Signature": _b64(KEY.sign(pe._message(DEVICE, forged)))}
        with pytest.raises(ProtocolError) as refused:
            pe.decode_erasures(forged, signed, lookup)
        assert refused.value.code == "malformed" and "reason" in str(refused.value)


def test_long_reasons_split_into_requests_within_the_size_limit():
    rows = [{"record_id": f"{n:036d}", "erased_at": "2026-11-25T00:00:00+00:00",
             "reason": "ᨔᨘᨑ " * 125} for n in range(1000)]  # 500 characters, 1,375 bytes
    parts, left = [], rows
    while left:
        part = pe.first_request(left)
        body, _ = pe.encode_erasures(DEVICE, "73.71.01.1001", part, KEY)
        assert len(body) <= pe.MAX_BODY_BYTES
        parts.append(part)
        left = left[len(part):]
    assert len(parts) > 1 and sum(len(p) for p in parts) == 1000
    assert pe.first_request(rows[:5]) == rows[:5]
