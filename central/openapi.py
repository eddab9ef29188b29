"""Central's ``GET /openapi.json``: flask-smorest documents the device API from
the ``@blp.arguments`` / ``@blp.response`` schemas that validate it
(:mod:`central.api`, :class:`berjasa.web.arguments.Api`); this module adds the
two downloads that programs (and the fuzz test) call with a session cookie,
described from the schemas :mod:`central.downloads` and :mod:`central.trail`
validate their filters with. Other pages are HTML and not described."""

from __future__ import annotations

from typing import Any

from flask import Flask

from berjasa import __version__
from berjasa.web.answers import problems
from berjasa.web.arguments import Api
from central import access, exports, schemas


def config() -> dict[str, Any]:
    """flask-smorest's settings for central's document (``/openapi.json``)."""
    return {
        "API_TITLE": "berjasa central API",
        "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {"info": {
            "description": "Registri pusat Makassar Berjasa: API perangkat kelurahan dan "
                           "unduhan kantor kota."}},
    }


def install(app: Flask, blueprints: list[Any]) -> Api:
    """The Api over central's device blueprints, plus the described downloads (call
    it once the pages blueprint is registered)."""
    app.config.update(config())
    api = Api(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)

    def describe_downloads(spec: Any) -> None:
        rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
        for name in ("DownloadQuery", "TrailQuery"):
            spec.components.schema(name, schema=getattr(schemas, name))
        spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                    "name": "berjasa_central"})
        spec.path(rule=rules["pages.download"], operations={"get": {
            "summary": "Unduh ekspor (operator, auditor); dicatat di jejak audit",
            "security": [{"session": []}],
            "parameters": [{"in": "path", "name": "what", "required": True,
                            "schema": {"type": "string", "enum": list(exports.WHATS)}},
                           {"in": "query", "schema": "DownloadQuery"}],
            "responses": {"200": {"description": "Berkas CSV atau XLSX", "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}}}},
                **problems(s400="Permintaan atau filter tidak sah", s404="Tidak ditemukan",
                           s409="Ekspor ditolak (mis. band belum terkonfirmasi)")}}})
        spec.path(rule=rules["pages.audit_export"], operations={"get": {
            "summary": "Jejak audit sebagai CSV (auditor)", "security": [{"session": []}],
            "parameters": [{"in": "query", "schema": "TrailQuery"}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {
                "schema": {"type": "string", "format": "binary"}}}},
                **problems(s400="Permintaan atau filter tidak sah")}}})

    api.document(describe_downloads)
    # 302/403 from the role matrix; 413 on every route (central/http.py reads no
    # body over its limit); 507 wherever the database is used
    api.document_answers(access.MATRIX, every_route=(413, 507),
                         without_storage={"central_health.health"}, page_blueprints={"pages"})
    return api
