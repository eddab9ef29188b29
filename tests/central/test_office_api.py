"""Central's API hygiene: /openapi.json, fuzzing as each role (every status answered
is one the document lists), 413 before reading on every route, deeply nested JSON,
one error shape (both backends)."""

# ruff: noqa: B023 - each fuzz function is defined and run within one loop step

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, status_code_conformance

from sync.protocol_auth import sign_request
from tests.helpers import examples

from .office import ROLES, signed_in

FUZZED = {("GET", "/unduh/{what}"), ("GET", "/audit/export.csv"), ("GET", "/health"),
          ("POST", "/api/v1/devices/register")}
# The device API answers to a signature, not a session: fuzzed once, without one.
# (POST /api/v1/batches takes a binary body schemathesis cannot make; tests/sync and
# test_bad_input send it forged and broken bodies instead.)
SIGNED = {("GET", "/api/v1/updates"), ("POST", "/api/v1/erasures"), ("GET", "/api/v1/hints")}
# ...and as a registered device: GETs signed as sent, POSTs with any bytes.
SIGNED_GETS = {("GET", "/api/v1/updates"), ("GET", "/api/v1/hints")}
SIGNED_POSTS = {("POST", "/api/v1/batches"), ("POST", "/api/v1/erasures")}


@pytest.fixture
def central_settings() -> dict:
    """The updates route waits up to this long for a fuzzed ``?wait_for=`` that names
    batches nobody sends (15 s each by default: 75 s of the quick loop's wall)."""
    return {"central_updates_wait_seconds": 0.2}


def fuzz_examples(config: pytest.Config) -> int:
    """Examples per operation and role: 200 under ``--slow`` (issue 13), else
    10 (half of that, 5, in the quick loop: 19 operation-role pairs)."""
    return 200 if config.getoption("--slow") else examples(10, least=5)


def test_openapi_is_generated_from_the_validating_schemas(central):
    answer = requests.get(f"{central.url}/openapi.json", timeout=10)
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert {"DownloadQuery", "TrailQuery", "RegisterBody", "Problem"} <= set(
        document["components"]["schemas"])
    query = {p["name"]: p for p in document["paths"]["/unduh/{what}"]["get"]["parameters"]}
    assert query["format"]["schema"]["enum"] == ["csv", "xlsx"]
    assert query["what"]["schema"]["enum"][:2] == ["bpjs-registration", "payment-list"]
    for path in ("/api/v1/batches", "/api/v1/updates", "/health", "/audit/export.csv"):
        assert path in document["paths"]


@pytest.mark.timeout(3600)  # --slow: 200 examples per operation and role
def test_fuzzing_as_each_role_finds_no_server_error(central, request):
    count = fuzz_examples(request.config)
    schema = schemathesis.openapi.from_url(f"{central.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [o for o in operations if (o.method.upper(), o.path) in FUZZED]
    assert len(operations) == len(FUZZED)
    signed = [o for o in (r.ok() for r in schema.get_all_operations())
              if (o.method.upper(), o.path) in SIGNED]
    assert len(signed) == len(SIGNED)
    passes = [(role, signed_in(central, role).cookies.get_dict(), operations) for role in ROLES]
    strategies: dict = {}  # one per operation, drawn from for every role
    for role, cookies, chosen in [*passes, ("no session", {}, signed)]:
        for operation in chosen:
            strategy = strategies.setdefault((operation.method, operation.path),
                                             operation.as_strategy())

            @settings(max_examples=count, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def fuzz(case):
                response = case.call(cookies=cookies, allow_redirects=False)
                assert response.status_code < 500, (role, case.method, case.formatted_path,
                                                     response.text[:300])
                case.validate_response(response, checks=[not_a_server_error,
                                                         status_code_conformance])

            fuzz()


@pytest.mark.timeout(3600)  # --slow: 200 examples per operation and role
def test_fuzzing_as_a_device_finds_no_server_error(central, request):
    """The device API as a registered laptop: the signed GETs with schemathesis'
    queries, each request signed as sent (so the query checks behind the signature
    are reached), and the signed POST routes with generated bodies."""
    count = fuzz_examples(request.config)
    device = central.register()
    schema = schemathesis.openapi.from_url(f"{central.url}/openapi.json")
    operations = {(o.method.upper(), o.path): o
                  for o in (r.ok() for r in schema.get_all_operations())}
    paths = requests.get(f"{central.url}/openapi.json", timeout=10).json()["paths"]
    documented = {(method.upper(), path): set(operation["responses"])
                  for path, item in paths.items() for method, operation in item.items()
                  if isinstance(operation, dict)}
    assert SIGNED_GETS | SIGNED_POSTS <= set(operations)
    past_signature = []
    for key in sorted(SIGNED_GETS):
        operation = operations[key]

        @settings(max_examples=count, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz_get(case):
            query = urlencode(case.query or {}, doseq=True)
            path = case.formatted_path + (f"?{query}" if query else "")
            headers = sign_request(device.key, device.device_id, "GET", path)
            response = requests.get(central.url + path, headers=headers, timeout=30)
            if response.status_code != 401:
                past_signature.append(key)
            assert response.status_code < 500, (key, path, response.text[:300])
            assert str(response.status_code) in documented[key], (key, path, response.text[:300])

        fuzz_get()
    for key in sorted(SIGNED_POSTS):
        # signed binary bodies (schemathesis has no serializer for them): any bytes
        media_types = [body.media_type for body in operations[key].body]

        @settings(max_examples=count, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(body=st.binary(max_size=2048), media_type=st.sampled_from(media_types),
               protocol=st.sampled_from(["1", "2", "0", "x"]))
        def fuzz_post(body, media_type, protocol):
            headers = {**sign_request(device.key, device.device_id, "POST", key[1]),
                       "Content-Type": media_type, "Berjasa-Protocol": protocol}
            response = requests.post(central.url + key[1], data=body, headers=headers,
                                     timeout=30)
            assert response.status_code < 500, (key, response.text[:300])
            assert str(response.status_code) in documented[key], (key, response.text[:300])

        fuzz_post()
    assert {key for key in past_signature} == SIGNED_GETS  # the queries were checked

def test_every_route_refuses_an_oversized_body_before_reading_it(central):
    big = b"x" * (1_048_576 + 1)
    for method, path in (("POST", "/login"), ("POST", "/logout"), ("POST", "/admin/users"),
                         ("GET", "/"), ("POST", "/api/v1/devices/register"),
                         ("POST", "/api/v1/erasures"), ("GET", "/health"), ("GET", "/nowhere")):
        answer = requests.request(method, f"{central.url}{path}", data=big, timeout=30,
                                  headers={"Content-Type": "application/json"})
        assert answer.status_code == 413, (method, path, answer.status_code)
        assert answer.json()["code"] in ("payload_too_large", "too_large")

    def chunks():
        for _ in range(40):
            yield b"y" * 65_536  # 2.5 MB without a Content-Length

    answer = requests.post(f"{central.url}/api/v1/devices/register", data=chunks(), timeout=30,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    batch_limit = central.settings["central_max_batch_bytes"]
    answer = requests.post(f"{central.url}/api/v1/batches", data=b"z" * (batch_limit + 1),
                           timeout=30)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


def test_deeply_nested_json_is_400_in_the_one_error_shape(central):
    nested = b"[" * 100_000 + b"]" * 100_000
    answer = requests.post(f"{central.url}/api/v1/devices/register", data=nested, timeout=30,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_json"
    nested_object = b'{"code": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}"
    answer = requests.post(f"{central.url}/api/v1/devices/register", data=nested_object,
                           timeout=30, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and set(answer.json()) >= {"code", "message"}
    for path in ("/nowhere", "/api/v1/nowhere"):
        body = requests.get(f"{central.url}{path}", timeout=10).json()
        assert body == {"code": "not_found", "message": "Alamat tidak ditemukan."}
    answer = requests.get(f"{central.url}/api/v1/devices/register", timeout=10)
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
