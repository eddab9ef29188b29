"""central: bad input on every HTTP endpoint (both backends) — wrong content types,
malformed, empty and huge bodies, wrong JSON types, unicode/HTML labels, forged or
stale signatures, replays, revoked devices, another kelurahan's device. Never a
5xx, always the one JSON error shape naming what is wrong, nothing stored."""

from __future__ import annotations

import base64
import gzip
import time

import requests

from sync import protocol
from sync.protocol_auth import generate_private_key, public_key_text, sign_request

from .conftest import KELURAHAN_A, KELURAHAN_B, records

GARBAGE_BODIES = [b"", b"{", b"null", b"[]", b"\xff\xfe\x00", b'"text"', b"0",
                  b'{"code": NaN}', b"x" * 100_000]


def _error(answer: requests.Response, status: int, code: str | None = None) -> dict:
    """The answer has this status and the one JSON error shape."""
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    body = answer.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    if code is not None:
        assert body["code"] == code, body
    return body


def _counts(central) -> tuple:
    return tuple(central.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
                 for table in ("devices", "batches", "records", "updates"))


def test_register_refuses_bad_bodies_clearly(central):
    url = f"{central.url}/api/v1/devices/register"
    before = _counts(central)
    for body in GARBAGE_BODIES:
        for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            answer = requests.post(url, data=body, headers={"Content-Type": content_type},
                                   timeout=10)
            assert 400 <= answer.status_code < 500, (body[:20], content_type, answer.text[:200])
            _error(answer, answer.status_code)
    huge = b'{"code": "' + b"A" * 3_000_000 + b'"}'
    answer = requests.post(url, data=huge, headers={"Content-Type": "application/json"},
                           timeout=30)
    assert answer.status_code in (400, 413, 422), answer.text[:200]
    _error(answer, answer.status_code)
    assert _counts(central) == before


def test_register_names_each_wrongly_typed_field(central):
    url = f"{central.url}/api/v1/devices/register"
    key = public_key_text(generate_private_key())
    for field, values in {
        "code": [None, 123, [], {}, True, "", "   "],
        "public_key": [None, 123, [], {}, "", "A" * 43 + "é", "short", key + "AA"],
        "label": [123, [], {"a": 1}, True, 1.5],
        "kelurahan_code": [123, [], {}, True],
    }.items():
        for value in values:
            code = central.code()
            body = {"code": code, "public_key": key, "label": "Laptop", field: value}
            answer = requests.post(url, json=body, timeout=10)
            assert answer.status_code in (403, 422), (field, value, answer.text[:200])
            error = _error(answer, answer.status_code)
            if answer.status_code == 422:
                assert field in error["errors"], (field, value, error)
    assert central.query("SELECT COUNT(*) AS n FROM devices")[0]["n"] == 0


def test_register_keeps_unicode_and_html_labels_as_typed(central):
    labels = ["Laptop <script>alert(1)</script>", "ᨒᨚᨈᨑ Lontara ᨅᨘᨁᨗᨔ", "Kantor Lurah Mariso 🙂",
              "  Laptop\tlama  ", "L" * 500, "Laptop\u0000nul", "Laptop\nbaris",
              "Laptop \u202ekantor", "Lap\u200btop"]  # invisible: the free-text rule (docs/api.md)
    for label in labels:
        key = generate_private_key()
        answer = requests.post(f"{central.url}/api/v1/devices/register", timeout=10, json={
            "code": central.code(), "public_key": public_key_text(key), "label": label})
        if any(c in label for c in "\u0000\n\u202e\u200b"):
            _error(answer, 422)
            assert "label" in answer.json()["errors"]
            continue
        assert answer.status_code == 201, (label, answer.text[:200])
        device_id = answer.json()["device_id"]
        stored = central.query("SELECT label FROM devices WHERE device_id = ?", (device_id,))
        assert stored[0]["label"] == label[:200]
    dashboard = requests.get(f"{central.url}/", timeout=10)
    assert dashboard.status_code == 200 and "<script>alert(1)" not in dashboard.text


def test_register_replay_and_other_kelurahan(central):
    url = f"{central.url}/api/v1/devices/register"
    code = central.code(KELURAHAN_A)
    key = public_key_text(generate_private_key())
    wrong = requests.post(url, json={"code": code, "public_key": key,
                                     "kelurahan_code": KELURAHAN_B}, timeout=10)
    _error(wrong, 403, "wrong_kelurahan")
    first = requests.post(url, json={"code": code, "public_key": key}, timeout=10)
    assert first.status_code == 201
    again = requests.post(url, json={"code": code, "public_key": key}, timeout=10)
    _error(again, 403, "registration_code_invalid")
    lower = requests.post(url, json={"code": central.code().lower() + "\u200b",
                                     "public_key": key}, timeout=10)
    assert lower.status_code in (201, 403), lower.text
    assert central.query("SELECT COUNT(*) AS n FROM devices")[0]["n"] in (1, 2)


def test_unknown_routes_and_methods_answer_json_errors(central):
    for method, path in [("GET", "/api/v1/batches"), ("PUT", "/api/v1/batches"),
                         ("GET", "/api/v1/devices/register"), ("POST", "/api/v1/updates"),
                         ("GET", "/api/v1/nothing"), ("POST", "/health"), ("DELETE", "/")]:
        answer = requests.request(method, f"{central.url}{path}", timeout=10)
        assert answer.status_code in (404, 405), (method, path, answer.status_code)
        _error(answer, answer.status_code)
    assert requests.get(f"{central.url}/health?x=<b>", timeout=10).json()["status"] == "ok"
    assert requests.get(f"{central.url}/?kecamatan=<script>", timeout=10).status_code == 200


def _post_raw(central, body: bytes, headers: dict) -> requests.Response:
    return requests.post(f"{central.url}/api/v1/batches", data=body, headers=headers, timeout=30)


def test_batch_bodies_and_headers_that_are_wrong(central):
    device = central.register()
    batch = device.batch(records(2))
    body, headers = protocol.encode_batch(batch, device.key)
    cases = []
    for name in ("Berjasa-Protocol", "Berjasa-Device", "Berjasa-Content-Hash", "Berjasa-Signature"):
        for value in (None, "", "²", "1" * 5000, "<script>", "ᨒᨚᨈᨑ".encode().decode("latin-1")):
            changed = dict(headers)
            if value is None:
                changed.pop(name)
            else:
                changed[name] = value
            cases.append((body, changed))
    for garbage in GARBAGE_BODIES + [gzip.compress(b"{}"), b"\x28\xb5\x2f\xfd" + b"\x00" * 50]:
        cases.append((garbage, headers))
    for case_body, case_headers in cases:
        answer = _post_raw(central, case_body, case_headers)
        assert 400 <= answer.status_code < 500, (case_headers, case_body[:20], answer.text[:300])
        if answer.status_code != 200:
            _error(answer, answer.status_code)
    assert _counts(central)[1:3] == (0, 0)


def _signed(device, payload: dict, compression: str = "zstd") -> tuple[bytes, dict]:
    """A correctly signed body for an arbitrary payload (a forged-but-signed batch)."""
    raw = protocol.canonical_json(payload)
    body = protocol.compress(raw, compression)
    digest = base64.urlsafe_b64encode(b"\x00" * 32).rstrip(b"=").decode()
    message = protocol._batch_message(1, device.device_id, (b"\x00" * 32).hex(), body)
    signature = base64.urlsafe_b64encode(device.key.sign(message)).rstrip(b"=").decode()
    return body, {"Content-Type": protocol.BATCH_MEDIA_TYPE, "Berjasa-Protocol": "1",
                  "Berjasa-Device": device.device_id, "Berjasa-Content-Hash": digest,
                  "Berjasa-Signature": signature}


def test_signed_payloads_of_the_wrong_shape_are_400(central):
    device = central.register()
    good = {"v": 1, "batch_id": "5b0c5d8e-8f4c-4d55-9d57-3f8ad7a7a001", "device_id": device.device_id,
            "kelurahan_code": KELURAHAN_A, "created_at": "2025-01-01T00:00:00+00:00", "n": 0,
            "c": [[] for _ in protocol.RECORD_FIELDS]}
    variants = [None, [], "x", {}, {**good, "v": 2}, {**good, "n": -1}, {**good, "n": "1"},
                {**good, "n": 10**30}, {**good, "c": "x"}, {**good, "c": [[1]] * 3},
                {**good, "batch_id": 5}, {**good, "batch_id": "not-a-uuid"},
                {**good, "kelurahan_code": None}, {**good, "n": True}]
    for payload in variants:
        body, headers = _signed(device, payload)
        answer = _post_raw(central, body, headers)
        assert answer.status_code in (400, 403), (payload, answer.text[:300])
        _error(answer, answer.status_code)
    assert _counts(central)[1:3] == (0, 0)


def test_records_with_wrong_json_types_are_refused_without_storing(central):
    device = central.register()
    bad_values = {
        "id": [5, [], {"a": 1}, True, None],
        "nik": [7371010101900001, ["7371010101900001"], {}],
        "full_name": [123, ["Andi"], {"n": "Andi"}],
        "birth_date": [19900101, [], {}],
        "address": [{"jalan": "x"}, [1, 2]],
        "monthly_income": ["1500000", 1.5, 2 ** 70, -2 ** 70, [], {}],
        "version": ["1", 2 ** 70, []],
        "consent": ["yes", 5, [True]],
        "location": ["-5.1,119.4", 7],
        "notes": ["nul\u0000inside"],
    }
    stored_before = _counts(central)
    seed = 100
    for field, values in bad_values.items():
        for value in values:
            seed += 1
            batch = device.batch(records(2, seed=seed))
            batch.records[1][field] = value  # after record_from_row: exactly what is sent
            answer = device.post(batch)
            assert answer.status_code in (200, 400), (field, value, answer.text[:300])
            if answer.status_code == 400:
                _error(answer, 400, "malformed")
                assert _counts(central) == stored_before, (field, value)
                continue
            # answered per record: the good one accepted, the odd one rejected or accepted
            results = protocol.decode_results(answer.content, batch)
            assert results[0]["result"] == "accepted", (field, value, results)
            stored_before = _counts(central)


def test_unicode_html_and_lontara_in_records_round_trip(central):
    device = central.register()
    recs = records(3, seed=42)
    recs[0]["full_name"] = "Andi Mappasessu ᨕᨉᨗ"
    recs[1]["address"] = "<script>alert('x')</script> Jl. Somba Opu"
    recs[2]["notes"] = "Catatan 🙂 &amp; <b>tebal</b>"
    results = device.send(recs)
    assert [r["result"] for r in results] == ["accepted"] * 3
    row = central.query("SELECT full_name FROM records WHERE record_id = ?", (recs[0]["id"],))
    assert row[0]["full_name"] == "Andi Mappasessu ᨕᨉᨗ"
    page = requests.get(f"{central.url}/", timeout=10)
    assert page.status_code == 200 and "<script>alert('x')" not in page.text


def test_batch_replays_forgeries_and_other_devices(central):
    device_a = central.register(KELURAHAN_A)
    device_b = central.register(KELURAHAN_B)
    batch = device_a.batch(records(2))
    body, headers = protocol.encode_batch(batch, device_a.key)
    # device B presents device A's batch under its own name: signature does not verify
    _error(_post_raw(central, body, {**headers, "Berjasa-Device": device_b.device_id}), 401,
           "bad_signature")
    # device B signs a batch naming A inside: wrong device
    forged = protocol.new_batch(device_a.device_id, KELURAHAN_A, records(1, seed=9))
    forged_body, forged_headers = protocol.encode_batch(forged, device_b.key)
    forged_headers["Berjasa-Device"] = device_b.device_id
    forged_body, forged_headers = protocol.encode_batch(
        protocol.new_batch(device_a.device_id, KELURAHAN_A, records(1, seed=9)), device_b.key)
    _error(_post_raw(central, forged_body, {**forged_headers, "Berjasa-Device": device_b.device_id}),
           401, "bad_signature")
    # device B sends kelurahan A's records in its own batch
    _error(device_b.post(device_b.batch(records(1, seed=11), kelurahan=KELURAHAN_A)), 403,
           "wrong_kelurahan")
    # one changed byte after signing
    tampered = bytearray(body)
    tampered[-5] ^= 1
    _error(_post_raw(central, bytes(tampered), headers), 401, "bad_signature")
    assert _counts(central)[1:3] == (0, 0)
    # the real one, then its replay: same answer; then revoked: 403 even for a replay
    first = _post_raw(central, body, headers)
    assert first.status_code == 200
    again = _post_raw(central, body, headers)
    assert again.content == first.content and again.headers["Berjasa-Replay"] == "1"
    db = central.db()
    try:
        from central.devices import revoke
        revoke(db, device_a.device_id)
    finally:
        db.close()
    _error(_post_raw(central, body, headers), 403, "device_revoked")
    _error(device_a.updates(), 403, "device_revoked")
    assert _counts(central)[1:3] == (1, 2)


def test_updates_query_and_signature_abuse(central):
    device = central.register()
    device.send(records(2))
    url = central.url
    for query in ["since=-1", "since=abc", "since=1.5", "since=%C2%B2", "since=%D9%A1%D9%A2", "since=" + "9" * 30,
                  "since=" + "9" * 5000, "limit=0", "limit=-5", "limit=x", "limit=" + "9" * 30,
                  "limit=%C2%B2", "since=%00", "skip=" + ",".join(["accepted"] * 50), "since=%3Cb%3E",
                  "since=0&since=1"]:
        path = f"/api/v1/updates?{query}"
        answer = requests.get(url + path, headers=sign_request(device.key, device.device_id,
                                                               "GET", path), timeout=10)
        assert answer.status_code in (200, 422), (query, answer.status_code, answer.text[:300])
        if answer.status_code == 422:
            error = _error(answer, 422)
            name = query.split("=")[0]
            assert name in error["errors"], (query, error)
    path = "/api/v1/updates?since=0"
    good = sign_request(device.key, device.device_id, "GET", path)
    for name, value in [("Berjasa-Timestamp", "²"), ("Berjasa-Timestamp", "9" * 5000),
                        ("Berjasa-Timestamp", str(int(time.time()) - 3600)),
                        ("Berjasa-Timestamp", str(int(time.time()) + 3600)),
                        ("Berjasa-Timestamp", ""), ("Berjasa-Nonce", ""),
                        ("Berjasa-Nonce", "n" * 65), ("Berjasa-Signature", "x"),
                        ("Berjasa-Signature", ""), ("Berjasa-Device", "dev-unknown"),
                        ("Berjasa-Device", ""),
                        ("Berjasa-Protocol", str(protocol.PROTOCOL_VERSION + 1))]:
        answer = requests.get(url + path, headers={**good, name: value}, timeout=10)
        assert answer.status_code in (400, 401, 403), (name, value, answer.text[:300])
        _error(answer, answer.status_code)
    # a stale but correctly signed request, and a replayed nonce
    stale = sign_request(device.key, device.device_id, "GET", path, now=time.time() - 3600)
    _error(requests.get(url + path, headers=stale, timeout=10), 401, "stale_request")
    assert requests.get(url + path, headers=good, timeout=10).status_code == 200
    _error(requests.get(url + path, headers=good, timeout=10), 401, "replayed_request")
    # signed for another query
    other = sign_request(device.key, device.device_id, "GET", "/api/v1/updates?since=1")
    _error(requests.get(url + path, headers=other, timeout=10), 401, "bad_signature")
