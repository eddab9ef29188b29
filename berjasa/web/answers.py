"""The error statuses each route of both apps documents, declared once: a route's
own answers by :func:`problems` (``@blp.doc(responses=problems(404, 409))``), and
what every route shares by :func:`document_shared_answers` when the document is
written: 401 where the role matrix asks for a login (302 to the login form on
page routes), 403 where it refuses a role, and the statuses any route can give
(central's body limit on every route, a full disk).

Every error answer is the one :class:`~berjasa.web.arguments.ProblemSchema`.
``tests/api/test_openapi_fuzz.py`` and ``tests/central/test_office_api.py`` check
with schemathesis that no route answers a status its document leaves out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from berjasa.web.roles import RoleMatrix

# What each error status means, as a route's document says it unless the route
# says more (docs/api.md, docs/sync-protocol.md).
DESCRIPTIONS: dict[int, str] = {
    400: "Isi permintaan rusak (malformed_json)",
    401: "Belum masuk: token tidak ada, salah atau kedaluwarsa",
    403: "Peran ini tidak diizinkan",
    404: "Tidak ditemukan",
    409: "Bertentangan dengan keadaan data",
    412: "Versi data sudah berubah (If-Match)",
    413: "Isi permintaan terlalu besar",
    415: "Isi permintaan harus application/json",
    422: "Isian tidak valid (validation_error, setiap isian disebut)",
    428: "If-Match wajib",
    429: "Terlalu banyak percobaan; coba lagi nanti (Retry-After)",
    507: "Penyimpanan penuh (storage_full): tidak ada yang disimpan",
}
PROBLEM_CONTENT = {"application/json": {"schema": "Problem"}}
LOGIN_REDIRECT = {"description": "Tanpa sesi: ke /login"}
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """One error answer: its description and the one error shape."""
    return {"description": description or DESCRIPTIONS[status], "content": PROBLEM_CONTENT}


def problems(*statuses: int, **described: str) -> dict[str, dict[str, Any]]:
    """``{"404": ..., "409": ...}`` for ``@blp.doc(responses=...)``; a status
    with words of its own is a keyword: ``problems(404, s409="id_conflict ...")``."""
    answers = {str(status): problem(status) for status in statuses}
    for name, text in described.items():
        status = int(name.removeprefix("s"))
        answers[str(status)] = problem(status, text)
    return answers


def _openapi_path(rule: str) -> str:
    """``/enrollments/<enrollment_id>`` (or ``<string:batch_id>``) as the document
    writes it, ``/enrollments/{enrollment_id}``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def document_shared_answers(spec: Any, app: Any, matrix: RoleMatrix, *,
                            every_route: Iterable[int] = (507,),
                            without_storage: Iterable[str] = (),
                            page_blueprints: Iterable[str] = ()) -> None:
    """Add to each operation of ``spec`` what the app answers on every route:
    401 (302 on ``page_blueprints``) unless ``matrix`` makes it public, 403 when
    the matrix refuses one of its roles, and ``every_route`` (507 left out for the
    ``without_storage`` endpoints). A status the route documents itself keeps the
    route's words."""
    roles = frozenset().union(*matrix.routes.values())
    endpoints = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            endpoints[(_openapi_path(rule.rule), method.lower())] = rule.endpoint
    if "Problem" not in spec.components.schemas:
        from berjasa.web.arguments import ProblemSchema
        spec.components.schema("Problem", schema=ProblemSchema)
    content = {"application/json": {"schema": spec.components.get_ref("schema", "Problem")}}
    for path, item in spec._paths.items():  # apispec keeps no public way to amend a path
        for method in _HTTP_METHODS:
            operation = item.get(method)
            endpoint = endpoints.get((path, method))
            if operation is None or endpoint is None:
                continue
            answers = operation.setdefault("responses", {})
            shared = _shared(matrix, roles, endpoint, every_route, without_storage)
            for status in shared:
                answers.setdefault(str(status), {"description": DESCRIPTIONS[status],
                                                 "content": content})
            if not matrix.is_public(endpoint) and endpoint.split(".")[0] in page_blueprints:
                answers.pop("401", None)
                answers.setdefault("302", dict(LOGIN_REDIRECT))


def _shared(matrix: RoleMatrix, roles: frozenset[str], endpoint: str,
            every_route: Iterable[int], without_storage: Iterable[str]) -> list[int]:
    """The statuses ``endpoint`` answers whatever its view does."""
    statuses = [status for status in every_route
                if status != 507 or endpoint not in without_storage]
    if not matrix.is_public(endpoint):
        statuses.append(401)
        if matrix.routes.get(endpoint, frozenset()) != roles:
            statuses.append(403)
    return sorted(statuses)

