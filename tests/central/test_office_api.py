"""Central's API hygiene: /openapi.json, fuzzing as each role, 413 before reading
on every route, deeply nested JSON, one error shape (both backends)."""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.helpers import examples

from .office import ROLES, signed_in

FUZZED = {("GET", "/unduh/{what}"), ("GET", "/audit/export.csv"), ("GET", "/health"),
          ("POST", "/api/v1/devices/register")}
# The device API answers to a signature, not a session: fuzzed once, without one.
# (POST /api/v1/batches takes a binary body schemathesis cannot make; tests/sync and
# test_bad_input send it forged and broken bodies instead.)
SIGNED = {("GET", "/api/v1/updates"), ("POST", "/api/v1/erasures"), ("GET", "/api/v1/hints")}


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


def test_fuzzing_as_each_role_finds_no_server_error(central):
    schema = schemathesis.openapi.from_url(f"{central.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [o for o in operations if (o.method.upper(), o.path) in FUZZED]
    assert len(operations) == len(FUZZED)
    signed = [o for o in (r.ok() for r in schema.get_all_operations())
              if (o.method.upper(), o.path) in SIGNED]
    assert len(signed) == len(SIGNED)
    passes = [(role, signed_in(central, role).cookies.get_dict(), operations) for role in ROLES]
    for role, cookies, chosen in [*passes, ("no session", {}, signed)]:
        for operation in chosen:

            @settings(max_examples=examples(10), deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def fuzz(case):
                response = case.call(cookies=cookies, allow_redirects=False)
                assert response.status_code < 500, (role, case.method, case.formatted_path,
                                                     response.text[:300])
                case.validate_response(response, checks=[not_a_server_error])

            fuzz()


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
