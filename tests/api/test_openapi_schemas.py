"""api: /openapi.json of both apps › the document is the validation: every JSON
route with a body or a query string declares a request schema (and no view reads
one by hand), and what the document forbids is refused with the one error shape
(422 naming the field)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from berjasa.settings import AppConfig, load_settings
from tests.helpers import PASSWORD

BODY_METHODS = {"post", "put", "patch"}
# Views that still read their body by hand, and why. Nothing else may.
READ_BY_HAND = {
    # enrollment create and edit: the body is read within max_record_bytes and validated by
    # server.intake with the documented EnrollmentSchema bound to the app's settings (its
    # compiled form for valid records); an edit is merged with the stored record first.
    # test_enrollments_create.py walks the document's required fields against the handler.
    "enrollments.create_enrollment", "enrollments.edit_enrollment",
    # signed sync bodies (not JSON objects): read and verified by sync/protocol*.py
    "central_batches.receive_batch", "central_erasures.receive_erasures",
}
HAND_READING = ("request.args", "request.get_json", "request.json", "request.form",
                "request.values", "read_json(", "request.get_data", "request.stream")
INTAKE_ROUTES = {("patch", "/api/v1/enrollments/{enrollment_id}")}  # If-Match and a record first


@pytest.fixture
def central_app(tmp_path: Path):
    from central.app import create_app

    folder = tmp_path / "central"
    folder.mkdir()
    return create_app(AppConfig(folder, load_settings(folder, {}),
                                database_url=f"sqlite:///{folder / 'central.db'}"))


@pytest.fixture
def both(app, central_app) -> dict[str, Any]:
    return {"kelurahan": app, "central": central_app}


def operations(document: dict) -> list[tuple[str, str, dict]]:
    """(method, path, operation) for every operation of the document."""
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if isinstance(operation, dict)]


def resolve(document: dict, schema: dict) -> dict:
    """A schema with its ``$ref`` followed (components/schemas only)."""
    ref = schema.get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def api_views(flask_app) -> dict[str, Any]:
    """The documented (flask-smorest) views: endpoint -> innermost view function."""
    documented = {}
    for endpoint, view in flask_app.view_functions.items():
        inner = inspect.unwrap(view)
        if hasattr(view, "_apidoc") or hasattr(inner, "_apidoc"):
            documented[endpoint] = inner
    return documented


def test_every_body_and_query_is_declared_by_a_schema(both):
    for name, flask_app in both.items():
        document = flask_app.test_client().get("/openapi.json").json
        checked = 0
        for method, path, operation in operations(document):
            for parameter in operation.get("parameters", []):
                assert "schema" in parameter, (name, method, path, parameter)
            if method not in BODY_METHODS or (method, path) in INTAKE_ROUTES:
                continue
            if path == "/api/v1/auth/token" and method == "delete":
                continue
            body = operation.get("requestBody")
            assert body and body.get("content"), f"{name}: {method.upper()} {path} has no requestBody"
            for media_type, content in body["content"].items():
                assert "schema" in content, (name, method, path, media_type)
                if media_type == "application/json":
                    assert "$ref" in content["schema"], (name, method, path)
            checked += 1
        assert checked >= 2, name


def test_no_documented_view_reads_its_request_by_hand(both):
    for name, flask_app in both.items():
        views = api_views(flask_app)
        assert len(views) >= 6, (name, sorted(views))
        for endpoint, view in views.items():
            if endpoint in READ_BY_HAND:
                continue
            source = inspect.getsource(view)
            found = [text for text in HAND_READING if text in source]
            assert not found, f"{name}: {endpoint} reads {found} by hand; use @blp.arguments"


def test_every_api_route_is_in_the_document(both):
    for name, flask_app in both.items():
        document = flask_app.test_client().get("/openapi.json").json
        documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
        for endpoint in api_views(flask_app):
            for rule in flask_app.url_map.iter_rules(endpoint):
                # /batches/<string:batch_id> is documented as /batches/{batch_id}
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
                assert path in documented, (name, endpoint, rule.rule)


def _auth(client, path: str) -> dict[str, str]:
    """A supervisor's bearer token on the kelurahan API (they may use every route
    tested here); nothing for central's public device routes."""
    if not path.startswith("/api/v1/") or path.startswith(("/api/v1/devices", "/api/v1/receipts")):
        return {}
    token = client.post("/api/v1/auth/token",
                        json={"username": "supervisor", "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def _refused(answer, field: str) -> None:
    assert answer.status_code == 422, (field, answer.status_code, answer.get_data(as_text=True))
    body = answer.json
    assert body["code"] == "validation_error" and field in body["errors"], body
    assert set(body["errors"]) == set(body["error_codes"])


def test_what_the_document_forbids_is_refused_naming_the_field(both):
    """Bodies: each documented ``required`` field missing, each ``enum`` and
    ``maxLength`` broken; query strings: each ``maximum`` and ``enum`` broken."""
    tried = []
    for name, flask_app in both.items():
        client = flask_app.test_client()
        document = client.get("/openapi.json").json
        for method, path, operation in operations(document):
            if ((method, path) in INTAKE_ROUTES or operation.get("security") == [{"session": []}]
                    or "Ditandatangani" in operation.get("description", "")):
                continue  # intake (its own work), pages (400 pages), signed (403 first)
            url = path.replace("{enrollment_id}", "00000000-0000-4000-8000-000000000000")
            headers = _auth(client, path)
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                schema = resolve(document, content["schema"])
                if schema.get("required") and "422" in operation["responses"]:
                    # (a route that lists no 422 answers a missing field otherwise:
                    # the login's is a failed login, 401)
                    answer = client.open(url, method=method, json={}, headers=headers)
                    for field in schema["required"]:
                        _refused(answer, field)
                        tried.append((name, path, field, "required"))
                for field, spec in schema.get("properties", {}).items():
                    bad = ("x" * (spec["maxLength"] + 1) if "maxLength" in spec
                           else "bukan-pilihan" if "enum" in spec else None)
                    if bad is not None:
                        answer = client.open(url, method=method, json={field: bad}, headers=headers)
                        _refused(answer, field)
                        tried.append((name, path, field, "body"))
            for parameter in operation.get("parameters", []):
                spec = parameter["schema"]
                if parameter["in"] != "query" or not ("maximum" in spec or "enum" in spec):
                    continue
                bad = str(spec["maximum"] + 1) if "maximum" in spec else "bukan-pilihan"
                answer = client.open(url, method=method, headers=headers,
                                     query_string={parameter["name"]: bad})
                _refused(answer, parameter["name"])
                tried.append((name, path, parameter["name"], "query"))
    tried_paths = {(name, path) for name, path, _, _ in tried}
    assert {("kelurahan", "/api/v1/enrollments/{enrollment_id}/review"),
            ("kelurahan", "/api/v1/receipts/status"), ("kelurahan", "/api/v1/audit"),
            ("kelurahan", "/api/v1/enrollments"),
            ("central", "/api/v1/devices/register")} <= tried_paths, tried


def test_review_decision_outside_the_documented_enum_is_the_projects_422(app):
    client = app.test_client()
    document = client.get("/openapi.json").json
    review = document["components"]["schemas"]["Review"]
    assert review["properties"]["decision"]["enum"] == ["approve", "reject", "needs_fix"]
    answer = client.post("/api/v1/enrollments/00000000-0000-4000-8000-000000000000/review",
                         json={"decision": "maybe", "reason": 5},
                         headers=_auth(client, "/api/v1/"))
    assert answer.status_code == 422
    assert answer.json == {
        "code": "validation_error", "message": "Ada isian yang tidak valid.",
        "errors": {"decision": ["Pilih salah satu: Setujui (approve), Tolak (reject) atau Perlu perbaikan (needs_fix)."],
                   "reason": ["Alasan harus berupa teks."]},
        "error_codes": {"decision": ["invalid_choice"], "reason": ["not_text"]}}


@pytest.mark.parametrize("which", ["kelurahan", "central"])
def test_the_document_written_on_first_read_is_whole_and_the_same_for_every_reader(
        both: dict[str, Any], which: str) -> None:
    """The document is written when first read, not while the app is built
    (berjasa.web.arguments.Api): eight readers racing for a fresh app's first
    document all get the same whole one, and the routes of every blueprint were
    served before anyone read it."""
    import threading

    app = both[which]
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    assert not api.written  # building the app wrote nothing
    assert app.test_client().get("/health").status_code == 200
    assert not api.written  # serving a route does not write it either
    bodies: list[bytes] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        bodies.append(app.test_client().get("/openapi.json").data)

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert api.written
    document = app.test_client().get("/openapi.json").get_json()
    assert document == api.spec.to_dict()
    paths = set(document["paths"])
    routed = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in app.extensions["flask-smorest"]["blp_name_to_api"]}
    assert len(routed) > 5 and routed <= paths  # every documented blueprint's routes


def _response(document: dict, answer: dict) -> dict:
    """A response object with its ``$ref`` followed (components/responses only)."""
    ref = answer.get("$ref")
    return document["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else answer


def test_every_error_answer_is_listed_in_the_one_error_shape(both):
    """No catch-all ``default`` answer hides a status; each 4xx/5xx a route lists
    is the Problem schema (berjasa.web.answers)."""
    problem = {"$ref": "#/components/schemas/Problem"}
    for name, flask_app in both.items():
        document = flask_app.test_client().get("/openapi.json").json
        for method, path, operation in operations(document):
            responses = operation["responses"]
            assert "default" not in responses, (name, method, path)
            for status, answer in responses.items():
                if int(status) >= 400:
                    content = _response(document, answer).get("content", {})
                    assert content.get("application/json", {}).get("schema") == problem, (
                        name, method, path, status)


ROLES = ("enumerator", "supervisor", "admin", "auditor")


def _token(client, role: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD}).json
    return {"Authorization": f"Bearer {token['token']}"}


def test_each_kelurahan_route_lists_what_it_answers_signed_out_as_each_role_and_to_bad_bodies(app):
    """Real requests on every route of the document: signed out (401 unless the
    route is public), as every role (403 where the role matrix refuses it), with
    an empty object and with a body that is not JSON (415) or not readable (400):
    each status answered is one the route lists."""
    from server import access

    client = app.test_client()
    document = client.get("/openapi.json").json
    seen = set()
    for method, path, operation in operations(document):
        listed = set(operation["responses"])
        url = path.replace("{enrollment_id}", "00000000-0000-4000-8000-000000000000")
        headers = {"If-Match": "1"}
        for who in (None, *ROLES):
            auth = _token(client, who) if who else {}
            tries = [{"json": {}}] if method in BODY_METHODS else [{}]
            if method in BODY_METHODS and "415" in listed:
                tries += [{"data": "x", "content_type": "text/plain"},
                          {"data": b"{\xff", "content_type": "application/json"}]
            for body in tries:
                answer = client.open(url, method=method, headers={**headers, **auth}, **body)
                assert str(answer.status_code) in listed, (
                    method, path, who, body, answer.status_code, answer.get_data(as_text=True))
                seen.add((path, method, answer.status_code))
        endpoint = next(rule.endpoint for rule in app.url_map.iter_rules()
                        if re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) == path
                        and method.upper() in (rule.methods or ()))
        assert access.is_public(endpoint) or "401" in listed, (method, path)
    assert {("/api/v1/enrollments", "post", status) for status in (401, 403, 415, 400, 422)} <= seen
    assert {("/api/v1/field/dedupe-index", "get", 403), ("/api/v1/audit", "get", 403),
            ("/api/v1/sync/status", "get", 403), ("/api/v1/enrollments", "get", 403)} <= seen


def test_the_login_lists_its_fields_as_required_and_answers_401_not_422(app):
    """design.md: ``{"username","password"}``; docs/api.md: a missing or non-text one
    is a failed login (401, counted toward the lockout), never a 422."""
    client = app.test_client()
    document = client.get("/openapi.json").json
    login = document["paths"]["/api/v1/auth/token"]["post"]
    assert "422" not in login["responses"]
    assert {"400", "401", "413", "415", "429"} <= set(login["responses"])
    body = resolve(document, login["requestBody"]["content"]["application/json"]["schema"])
    assert sorted(body["required"]) == ["password", "username"]
    for sent in ({}, {"username": "supervisor"}, {"password": PASSWORD}, {"username": 5, "password": []}):
        answer = client.post("/api/v1/auth/token", json=sent)
        assert answer.status_code == 401 and answer.json["code"] == "bad_credentials", sent
