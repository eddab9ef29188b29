"""sync.protocol: the optional ``kpj_claim`` (protocol 3) travels with the content hash
intact, only a version-3 batch carries it, and the laptop sends it only for records
it holds ``registered`` (docs/sync-protocol.md "Versions")."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berjasa.database import connect, transaction, utc_now
from berjasa.synthetic import approved_records
from server.storage import outbox
from sync import protocol, protocol_body
from sync import protocol_columns as columns
from sync.protocol_auth import generate_private_key
from sync.protocol_errors import ProtocolError
from tests.helpers import examples

from .conftest import A, h

KEY = generate_private_key()
DEVICE = "dev-1"
kpj = st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=20)


def _lookup(device_id):
    return KEY.public_key() if device_id == DEVICE else None


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.none() | kpj, min_size=1, max_size=6), st.booleans())
def test_a_claim_round_trips_and_the_hash_holds(claims, with_disability):
    records = approved_records(len(claims), A)
    rows = [{**r, "kpj_claim": c, "disability": {"has_disability": False, "kinds": []}
             if with_disability else None} for r, c in zip(records, claims)]
    batch = protocol.new_batch(DEVICE, A, rows)
    body, headers = protocol.encode_batch(batch, KEY)
    decoded = protocol.decode_batch(body, headers, _lookup)  # the content hash checked too
    assert decoded.records == batch.records
    assert [r.get("kpj_claim") for r in decoded.records] == claims
    carried = protocol.batch_fields(batch.records)
    assert ("kpj_claim" in carried) == any(c is not None for c in claims)


def test_a_batch_without_claims_has_the_columns_of_before():
    records = [{**r, "kpj_claim": None} for r in approved_records(3, A)]
    batch = protocol.new_batch(DEVICE, A, records)
    assert "kpj_claim" not in protocol.batch_fields(batch.records)
    assert all("kpj_claim" not in r for r in batch.records)
    bare = protocol.new_batch(DEVICE, A, [{**r, "disability": None} for r in records])
    assert protocol.batch_fields(bare.records) == protocol.RECORD_FIELDS


def test_only_a_version_3_batch_carries_a_claim():
    """A version-2 central refuses the column as one too many (malformed): the
    laptop labels what it sends 3, and central refuses a version-2 batch with it."""
    rows = [{**r, "kpj_claim": "25012345678"} for r in approved_records(2, A)]
    batch = protocol.new_batch(DEVICE, A, rows)
    assert batch.protocol == protocol.PROTOCOL_VERSION == 3
    with pytest.raises(ValueError, match="kpj_claim"):
        protocol.encode_batch(dataclasses.replace(batch, protocol=2), KEY)
    # what a laptop would send if it labelled such a batch 2, signed as that
    fields = protocol.batch_fields(batch.records)
    rows = [{**dict.fromkeys(protocol.OPTIONAL_FIELDS), **r} for r in batch.records]
    payload = protocol.canonical_json({
        "v": 2, "batch_id": batch.batch_id, "device_id": DEVICE, "kelurahan_code": A,
        "created_at": batch.created_at, "n": 2, "c": columns.encode_columns(rows, fields)})
    body = protocol.compress(payload)
    as_two = dataclasses.replace(batch, protocol=2)
    digest = protocol.content_hash(as_two)
    headers = {"Berjasa-Protocol": "2", "Berjasa-Device": DEVICE,
               "Berjasa-Content-Hash": protocol_body.b64(bytes.fromhex(digest)),
               "Berjasa-Signature": protocol_body.b64(KEY.sign(
                   protocol._batch_message(2, DEVICE, digest, body)))}
    with pytest.raises(ProtocolError) as caught:
        protocol.decode_batch(body, headers, _lookup)
    assert caught.value.code == "malformed"


def test_the_laptop_claims_the_kpj_of_its_registered_records_only(tmp_path):
    folder = h.make_kelurahan(tmp_path / "kel", A)
    ids = h.seed_approved(folder, 3, seed=5)
    conn = connect(folder / "kelurahan.db")
    try:
        with transaction(conn):
            conn.execute("UPDATE enrollments SET status = 'registered', kpj_number = '25012345678'"
                         " WHERE id = ?", (ids[0],))
            conn.execute("UPDATE enrollments SET status = 'synced' WHERE id = ?", (ids[1],))
            conn.execute("DELETE FROM sync_outbox")
            outbox.queue_accepted_again(conn, utc_now())  # `sync resend`
        rows = {r["id"]: r for r in outbox.pending_records(conn, 10)}
    finally:
        conn.close()
    records = {r["id"]: r for r in protocol.new_batch(DEVICE, A, list(rows.values())).records}
    assert set(records) == {ids[0], ids[1]}  # the approved one waits for nothing here
    assert records[ids[0]]["kpj_claim"] == "25012345678"
    assert "kpj_claim" not in records[ids[1]]
