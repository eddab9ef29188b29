"""``GET /openapi.json`` of central: generated with apispec from the marshmallow
schemas in :mod:`central.schemas`, the ones the download and trail filters are
validated with. Pages are HTML and not described; the downloads and the trail
export are, since programs (and the fuzz test) call them with a session cookie."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from berjasa import __version__
from central import exports, schemas

_ERRORS = {str(status): {"description": text, "content": {"application/json": {
    "schema": "Problem"}}} for status, text in (
    ("400", "Permintaan atau filter tidak sah"), ("403", "Peran tidak diizinkan"),
    ("404", "Tidak ditemukan"), ("409", "Ekspor ditolak (mis. band belum terkonfirmasi)"),
    ("413", "Isi permintaan terlalu besar"), ("415", "Bukan JSON"),
    ("422", "Isian tidak valid"), ("429", "Terlalu banyak percobaan"))}
_REDIRECT = {"302": {"description": "Tanpa sesi: ke /login"}}
_SIGNED = {"description": "Ditandatangani perangkat (docs/sync-protocol.md)"}


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: _ERRORS[s] for s in statuses}


def build() -> dict[str, Any]:
    """The OpenAPI 3 document."""
    spec = APISpec(title="berjasa central API", version=__version__, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={
                       "description": "Registri pusat Makassar Berjasa: API perangkat kelurahan "
                                      "dan unduhan kantor kota."})
    for name in ("Problem", "Health", "RegisterBody", "DownloadQuery", "TrailQuery"):
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                "name": "berjasa_central"})
    spec.path("/health", operations={"get": {"summary": "Kesehatan layanan", "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": "Health"}}}}}})
    spec.path("/api/v1/devices/register", operations={"post": {
        "summary": "Daftarkan laptop kelurahan dengan kode sekali pakai",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": "RegisterBody"}}},
        "responses": {"201": {"description": "Perangkat terdaftar"},
                      **_errors("400", "403", "413", "415", "422")}}})
    for path, method, summary in (("/api/v1/batches", "post", "Batch bertanda tangan"),
                                  ("/api/v1/updates", "get", "Keputusan pusat untuk kelurahan"),
                                  ("/api/v1/erasures", "post", "Penghapusan dari kelurahan"),
                                  ("/api/v1/hints", "get", "Petunjuk duplikat")):
        spec.path(path, operations={method: {"summary": summary, "description": _SIGNED[
            "description"], "responses": {"200": {"description": "OK"},
                                          **_errors("400", "403", "413")}}})
    spec.path("/unduh/{what}", operations={"get": {
        "summary": "Unduh ekspor (operator, auditor); dicatat di jejak audit",
        "security": [{"session": []}],
        "parameters": [{"in": "path", "name": "what", "required": True,
                        "schema": {"type": "string", "enum": list(exports.WHATS)}},
                       {"in": "query", "schema": "DownloadQuery"}],
        "responses": {"200": {"description": "Berkas CSV atau XLSX", "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}}}},
            **_REDIRECT, **_errors("400", "403", "404", "409")}}})
    spec.path("/audit/export.csv", operations={"get": {
        "summary": "Jejak audit sebagai CSV (auditor)", "security": [{"session": []}],
        "parameters": [{"in": "query", "schema": "TrailQuery"}],
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {
            "schema": {"type": "string", "format": "binary"}}}},
            **_REDIRECT, **_errors("400", "403")}}})
    return spec.to_dict()
