"""api: /openapi.json — the document is complete and schemathesis finds no 5xx
(and no response that contradicts the document, nor a status it leaves out) when it
fuzzes every route."""

# ruff: noqa: B023 - each fuzz function is defined and run within one loop step

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from berjasa import reference
from tests.helpers import PASSWORD, examples

# Every role, and nobody signed in (None).
FUZZ_USERS = ("enumerator", "supervisor", "admin", "auditor", None)


def fuzz_examples(config: pytest.Config) -> int:
    """Examples per operation and user: 200 under ``--slow`` (issue 13), else
    25 (a fifth of that, 5, in the quick loop: 80 operation-user pairs)."""
    return 200 if config.getoption("--slow") else examples(25, least=5)


@pytest.fixture
def fuzz_target(live_server):
    tokens = {}
    for user in FUZZ_USERS:
        if user is not None:
            tokens[user] = requests.post(f"{live_server}/api/v1/auth/token", timeout=30, json={
                "username": user, "password": PASSWORD}).json()["token"]
    return live_server, tokens


def test_openapi_document_describes_the_contract(live_server):
    document = requests.get(f"{live_server}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [("/api/v1/enrollments", "post"), ("/api/v1/enrollments:batch", "post"),
                         ("/api/v1/enrollments", "get"), ("/api/v1/enrollments/{enrollment_id}",
                                                          "get"),
                         ("/api/v1/enrollments/{enrollment_id}", "patch"),
                         ("/api/v1/auth/token", "post"), ("/health", "get")]:
        assert method in paths[path], (path, method)
    enrollment = document["components"]["schemas"]["Enrollment"]
    assert {"nik", "kk_number", "full_name", "consent", "monthly_income"} <= set(
        enrollment["properties"])
    assert "nik" in enrollment["required"]
    assert enrollment["properties"]["status"]["readOnly"] is True
    assert len(reference.occupations()) == 89


@pytest.mark.timeout(3600)  # --slow: 200 examples x 5 users x every operation
def test_fuzzing_as_every_role_finds_no_server_error(fuzz_target, request):
    """Every operation, as every role and signed out, fuzzed with schemathesis'
    generated cases (driven by hypothesis directly: schemathesis' pytest plugin
    breaks with newer pytest)."""
    base, tokens = fuzz_target
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    count = fuzz_examples(request.config)
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/auth/token" and operation.method.upper() == "DELETE":
            continue  # revoking the fuzzer's own token would end the run
        strategy = operation.as_strategy()  # one per operation, drawn from for every user
        for user in FUZZ_USERS:
            headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}

            @settings(max_examples=count, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def fuzz(case):
                response = case.call(headers=headers)
                assert response.status_code < 500, (user, case.method, case.path,
                                                    response.text[:500])
                case.validate_response(response, checks=[not_a_server_error,
                                                         status_code_conformance])

            fuzz()
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/v1/enrollments" in fuzzed and "POST /api/v1/enrollments:batch" in fuzzed
    assert len(fuzzed) >= 10
