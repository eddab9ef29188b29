"""api: /app/ and /api/v1/field: MIME types, caching and CSP of the app files; the
reference lists; the duplicate index (shape, access, no NIK in clear, membership)."""

from __future__ import annotations

import base64
import json

from berjasa import hints
from server import field_dedupe


def test_app_files_have_module_mime_types_csp_and_revalidation(api):
    client = api()
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-cache"
    assert 'name="nik"' in page.text and 'inputmode="numeric"' in page.text
    for path, mime in [("/app/js/app.js", "text/javascript"), ("/app/css/app.css", "text/css"),
                       ("/app/manifest.webmanifest", "application/manifest+json"),
                       ("/app/icons/icon.svg", "image/svg+xml"), ("/app/icons/icon-192.png", "image/png")]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith(mime), path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(path, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304, path


def test_service_worker_has_scope_version_and_the_real_file_list(api):
    client = api()
    worker = client.get("/app/sw.js")
    assert worker.status_code == 200
    assert worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Service-Worker-Allowed"] == "/app/"
    assert "__BUILD_ID__" not in worker.text and "__ASSETS__" not in worker.text
    assets = json.loads(worker.text.split("const ASSETS = ", 1)[1].split(";\n", 1)[0])
    assert "js/app.js" in assets and "js/rules.js" in assets
    for asset in assets:
        assert client.get("/app/" + asset.lstrip("./")).status_code == 200, asset


def test_only_app_files_are_served(api):
    client = api()
    for path in ["/app/tests/rules.test.mjs", "/app/__init__.py", "/app/../server/app.py",
                 "/app/tests/identity_cases.json", "/app/berjasa-ca.crt"]:
        assert client.get(path).status_code == 404, path
    assert client.get("/app", allow_redirects=False).headers["Location"].endswith("/app/")


def test_reference_lists_come_from_the_server(api):
    assert api().get("/api/v1/field/reference").status_code == 401
    ref = api("enumerator").get("/api/v1/field/reference")
    assert ref.status_code == 200
    body = ref.json()
    assert body["kelurahan"]["code"] == "73.71.01.1001"
    assert len(body["kelurahan_list"]) == 153
    assert "Lainnya" in body["occupations"] and "Lainnya" in body["work_categories"]
    assert "Anak" in body["heir_relations"]
    assert ref.headers["Cache-Control"] == "no-store"


def test_reference_names_every_central_rejection_in_indonesian(api):
    """The phone shows central's rejections in words, offline too: every code
    central rejects with has its Indonesian label in the reference lists."""
    from central.eligibility import REJECTION_CODES, record_problems

    reasons = api("enumerator").get("/api/v1/field/reference").json()["central_reasons"]
    # rules on loaded data, records central cannot hold, a version after an erasure
    assert REJECTION_CODES | set(record_problems({}, "x")) | {"erased"} <= set(reasons)
    assert reasons["dtsen_desil_above_cutoff"] == "DTSEN: desil di atas batas program"
    assert all(label and label != code for code, label in reasons.items())


def test_dedupe_index_shape_access_and_membership(api, records, data_dir):
    enumerator = api("enumerator")
    known = records.enrollment()
    assert enumerator.post("/api/v1/enrollments", json=known).status_code == 201
    assert api().get("/api/v1/field/dedupe-index").status_code == 401
    assert api("supervisor").get("/api/v1/field/dedupe-index").status_code == 403
    assert api("supervisor").get("/api/v1/field/dedupe-key").status_code == 403
    answer = enumerator.get("/api/v1/field/dedupe-index")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"key_id", "count", "false_positive_rate", "size_bytes", "filter"}
    assert body["count"] == 1 and 0 <= body["false_positive_rate"] < 0.05
    raw = base64.b64decode(body["filter"])
    assert len(raw) == body["size_bytes"]
    assert known["nik"] not in answer.text and known["full_name"] not in answer.text
    key = enumerator.get("/api/v1/field/dedupe-key").json()
    assert key["key_id"] == body["key_id"]
    secret = hints.HintKey.from_secret(base64.b64decode(key["key"]))
    assert secret.key_id == body["key_id"]
    assert hints.might_contain(raw, secret, f"nik:{known['nik']}")
    name_item = "name:" + hints.name_key(known["full_name"].upper(), known["birth_date"])
    assert hints.might_contain(raw, secret, name_item)
    assert (data_dir / field_dedupe.KEY_FILE).exists()


def test_background_sync_worker_is_the_shell_plus_the_sender(api):
    """sw_send.js (registered where Background Sync exists) is filled in like sw.js, imports
    it and the sender, and is never precached or served as a plain file."""
    client = api()
    worker = client.get("/app/sw_send.js")
    assert worker.status_code == 200
    assert worker.headers["Content-Type"].startswith("text/javascript")
    assert "__BUILD_ID__" not in worker.text
    assert "import './sw.js';" in worker.text and "from './js/background_send.js'" in worker.text
    shell = client.get("/app/sw.js").text
    assets = json.loads(shell.split("const ASSETS = ", 1)[1].split(";\n", 1)[0])
    assert "sw_send.js" not in assets and "js/background_send.js" in assets
    build = shell.split("const BUILD_ID = '", 1)[1].split("'", 1)[0]
    assert f"Build {build}" in worker.text
