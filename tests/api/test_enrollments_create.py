"""api: /api/v1/enrollments › POST — creation, replays, conflicts, bad input."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid

import pytest

from berjasa import identity


def snapshot(data_dir) -> list[tuple]:
    """Everything stored about enrollments, to prove bad input changed nothing."""
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    rows = conn.execute("SELECT * FROM enrollments ORDER BY id").fetchall()
    conn.close()
    return rows


def stored(data_dir, enrollment_id: str) -> dict | None:
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
    conn.close()
    return dict(row) if row else None


def post_at_once(clients: list, payloads: list[dict]) -> list:
    """Each client POSTs its payload, all released together; the answers in order."""
    results = [None] * len(clients)
    barrier = threading.Barrier(len(clients))

    def post(i):
        barrier.wait()
        results[i] = clients[i].post("/api/v1/enrollments", json=payloads[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_create_returns_201_and_stores_the_record(api, records, data_dir):
    record = records.enrollment(phone="0812-3456-7890")
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 201
    body = answer.json()
    assert body["id"] == record["id"]
    assert body["status"] == "submitted" and body["version"] == 1
    assert body["enumerator"] == "enumerator"
    assert body["phone"] == "+6281234567890"
    assert answer.headers["ETag"] == '"1"'
    row = stored(data_dir, record["id"])
    assert row["nik"] == record["nik"] and row["status"] == "submitted"


def test_same_id_same_content_is_a_retry(api, records, data_dir):
    client = api("enumerator")
    record = records.enrollment()
    assert client.post("/api/v1/enrollments", json=record).status_code == 201
    again = client.post("/api/v1/enrollments", json=record)
    assert again.status_code == 200
    assert again.json()["id"] == record["id"]
    assert len(snapshot(data_dir)) == 1


def test_same_id_other_content_is_id_conflict(api, records, data_dir):
    client = api("enumerator")
    record = records.enrollment()
    client.post("/api/v1/enrollments", json=record)
    before = snapshot(data_dir)
    changed = dict(record, address=record["address"] + " (pindah)")
    answer = client.post("/api/v1/enrollments", json=changed)
    assert answer.status_code == 409
    assert answer.json()["code"] == "id_conflict"
    assert snapshot(data_dir) == before


def test_same_id_from_another_enumerator_is_id_conflict(api, records):
    record = records.enrollment()
    api("enumerator").post("/api/v1/enrollments", json=record)
    answer = api("enumerator2").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 409 and answer.json()["code"] == "id_conflict"


def test_second_record_with_same_nik_is_duplicate_nik(api, records, data_dir):
    client = api("enumerator")
    first = records.enrollment()
    client.post("/api/v1/enrollments", json=first)
    second = dict(records.enrollment(), nik=first["nik"], birth_date=first["birth_date"],
                  sex=first["sex"])
    answer = client.post("/api/v1/enrollments", json=second)
    assert answer.status_code == 409
    assert answer.json() == {"code": "duplicate_nik", "existing_id": first["id"],
                             "message": answer.json()["message"]}
    assert stored(data_dir, second["id"]) is None


def test_a_thousand_replays_store_one_record(api, records, data_dir):
    client = api("enumerator")
    record = records.enrollment()
    answer = client.post("/api/v1/enrollments:batch", json={"enrollments": [record] * 1000})
    assert answer.status_code == 200
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses[0] == 201 and set(statuses[1:]) == {200}
    results = []

    def replay():
        results.append(client.post("/api/v1/enrollments", json=record).status_code)

    threads = [threading.Thread(target=replay) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {200}
    assert len(snapshot(data_dir)) == 1


def test_two_clients_posting_the_same_nik_at_once_one_wins(api, records, data_dir):
    base = records.enrollment()
    clients = [api("enumerator"), api("enumerator2")] * 4
    payloads = [dict(base, id=str(uuid.uuid4())) for _ in clients]
    results = post_at_once(clients, payloads)
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * (len(clients) - 1)
    winner = next(r.json()["id"] for r in results if r.status_code == 201)
    assert all(r.json()["existing_id"] == winner for r in results if r.status_code == 409)
    assert len(snapshot(data_dir)) == 1


def test_concurrent_posts_by_two_enumerators_are_each_stored_and_audited_as_theirs(
        api, records, data_dir):
    """Single POSTs that arrive together share a transaction (group commit): each
    still gets its own 201 with its record, and the audit names its own poster."""
    clients = [api("enumerator"), api("enumerator2")] * 8
    payloads = [records.enrollment() for _ in clients]
    results = post_at_once(clients, payloads)
    assert [r.status_code for r in results] == [201] * len(clients)
    for i, answer in enumerate(results):
        body = answer.json()
        assert body["id"] == payloads[i]["id"] and body["nik"] == payloads[i]["nik"]
        assert body["enumerator"] == ("enumerator", "enumerator2")[i % 2]
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    actors = dict(conn.execute(
        "SELECT record_id, actor FROM audit_log WHERE action = 'enrollment.create'").fetchall())
    conn.close()
    assert actors == {p["id"]: ("enumerator", "enumerator2")[i % 2] for i, p in enumerate(payloads)}
    verification = api("auditor").get("/api/v1/audit", params={"verify": "true"}).json()
    assert verification["verification"]["intact"] is True
    assert verification["verification"]["checked"] >= len(clients)


BAD_FIELDS = [
    ("nik", "737101410190000", "nik_damaged_by_spreadsheet"),
    ("nik", "73710141019000011", "nik_length"),
    ("nik", "73710141O1900001", "nik_not_digits"),
    ("nik", "7.37101E+15", "nik_damaged_by_spreadsheet"),
    ("nik", "7371014101900001.0", "nik_damaged_by_spreadsheet"),
    ("nik", 7371014101900001, "nik_not_text"),
    ("kk_number", "12345", "kk_damaged_by_spreadsheet"),
    ("birth_date", "1990-02-31", "invalid_date"),
    ("birth_date", "2999-01-01", "birth_date_in_future"),
    ("birth_date", "1801-01-01", "birth_date_implausible"),
    ("full_name", "<script>alert(1)</script>", "name_invalid_characters"),
    ("full_name", "Andi 2", "name_invalid_characters"),
    ("full_name", "Andi 😀", "name_invalid_characters"),
    ("full_name", "   ", "name_required"),
    ("full_name", 42, "not_text"),
    ("mother_name", "Ibu<b>", "name_invalid_characters"),
    ("rt", "1234", "invalid_rt_rw"),
    ("rw", "0", "invalid_rt_rw"),
    ("rt", 5, "not_text"),
    ("sex", "X", "invalid_choice"),
    ("phone", "12345", "phone_invalid"),
    ("occupation", "Astronot", "unknown_occupation"),
    ("kelurahan_code", "73.71.99.9999", "unknown_kelurahan"),
    ("monthly_income", "1500000", "not_integer"),
    ("monthly_income", 1500000.5, "not_integer"),
    ("monthly_income", True, "not_integer"),
    ("monthly_income", -5, "income_out_of_bounds"),
    ("monthly_income", 10**12, "income_out_of_bounds"),
    ("heir_relation", "Tetangga", "invalid_choice"),
    ("consent", {"given": False, "method": "verbal", "at": "2026-11-25T09:00:00+08:00"},
     "consent_required"),
    ("consent", "ya", "not_object"),
    ("captured_at", "kemarin", "invalid_datetime"),
    ("id", "not-a-uuid", "invalid_uuid"),
    ("notes", "a\x00b", "unprintable_characters"),
    ("notes", "a\u202eb", "unprintable_characters"),
    ("address", "Jl. A\u2028RT 2", "unprintable_characters"),
    # a one-line field takes no tab (pasted from a spreadsheet row, it splits the cell)
    ("birth_place", "Makassar\tSulawesi Selatan", "unprintable_characters"),
    ("birth_place", "Makassar\t", "unprintable_characters"),
    ("work_category", "Pilot", "unknown_work_category"),
]


@pytest.mark.parametrize("field,value,code", BAD_FIELDS)
def test_bad_field_is_422_naming_it(module_api, records, module_data_dir, field, value, code):
    """One server for every case (tests/conftest.py module_data_dir): each refusal
    stores nothing, which each case checks."""
    record = records.enrollment(**{field: value})
    answer = module_api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "validation_error"
    prefix = field if field != "consent" or code == "not_object" else "consent.given"
    assert code in body["error_codes"][prefix], body
    assert all(isinstance(m, str) and m for m in body["errors"][prefix])
    assert snapshot(module_data_dir) == []


def test_every_bad_field_is_named_at_once(api, records):
    record = records.enrollment(nik="123", full_name="<x>", monthly_income="x", rt="abcd",
                                surprise=True)
    del record["heir_name"]
    body = api("enumerator").post("/api/v1/enrollments", json=record).json()
    assert set(body["errors"]) >= {"nik", "full_name", "monthly_income", "rt", "surprise",
                                   "heir_name"}
    assert body["error_codes"]["surprise"] == ["unknown_field"]
    assert body["error_codes"]["heir_name"] == ["required"]


def test_nik_that_disagrees_with_sex_and_birth_date(api, records):
    record = records.enrollment()
    record["sex"] = "P" if record["sex"] == "L" else "L"
    body = api("enumerator").post("/api/v1/enrollments", json=record).json()
    assert "nik_sex_mismatch" in body["error_codes"]["nik"]


def test_nik_from_outside_makassar_is_a_warning_not_an_error(api, records):
    record = records.problem_enrollment("moved_in")
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 201
    codes = [w["code"] for w in answer.json()["warnings"]]
    assert "nik_region_outside_makassar" in codes


@pytest.mark.parametrize("name", ["Andi Baso Daeng Ngérang", "ᨕᨗᨊᨈ ᨅᨚᨒ", "Muh. Jusuf Ali-Hasan",
                                  "I Gusti Ayu Ni'mah", "Siti ’Aisyah"])
def test_names_in_any_script_are_kept_as_typed(api, records, name):
    answer = api("enumerator").post("/api/v1/enrollments", json=records.enrollment(full_name=name))
    assert answer.status_code == 201, answer.text
    assert answer.json()["full_name"] == name


def test_name_spaces_are_trimmed_and_collapsed(api, records):
    answer = api("enumerator").post("/api/v1/enrollments",
                                    json=records.enrollment(full_name="  Andi   Baso  "))
    assert answer.json()["full_name"] == "Andi Baso"


def test_free_text_is_stored_exactly_as_typed(api, records, data_dir):
    address = "Jl. <b>Veteran</b> & \"Lr. 3\" 🏠 ᨕᨗ\nRT 2"
    notes = "<script>alert('x')</script> — catatan"
    record = records.enrollment(address=address, notes=notes)
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 201
    row = stored(data_dir, record["id"])
    assert row["address"] == address and row["notes"] == notes


def test_invisible_format_characters_are_refused_naming_field_and_character(api, records,
                                                                              data_dir):
    """A right-to-left override or another invisible format character would make the
    review page or an Excel cell read otherwise than stored (docs/api.md "Free text"):
    each free-text field and each name says which character, by its code."""
    record = records.enrollment(address="Jl. Somba Opu \u202e12 .oN", birth_place="Maka\u200bssar",
                                notes="lihat \u2066KTP\u2069", full_name="Andi\u202eBaso",
                                mother_name="Sitti\u00adAminah", heir_name="Baso\ufeff")
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error_codes"] == {
        "address": ["unprintable_characters"], "birth_place": ["unprintable_characters"],
        "notes": ["unprintable_characters"], "full_name": ["name_invalid_characters"],
        "mother_name": ["name_invalid_characters"], "heir_name": ["name_invalid_characters"]}
    for field, code in [("address", "U+202E (pengatur arah teks)"), ("birth_place", "U+200B"),
                        ("notes", "U+2066 (pengatur arah teks), U+2069"), ("full_name", "U+202E"),
                        ("mother_name", "U+00AD"), ("heir_name", "U+FEFF")]:
        assert code in body["errors"][field][0], (field, body["errors"][field])
    assert snapshot(data_dir) == []


def test_the_joiners_real_text_needs_are_kept(api, records, data_dir):
    """ZWNJ and ZWJ (Arabic-script and Indic shaping, emoji sequences) are the format
    characters free text keeps; Lontara and Makasar script need none."""
    address = "Jl. Wa\u200dOde 5, \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u1a00\u1a17 \U00011ee0"
    notes = "\U0001F468\u200d\U0001F469\u200d\U0001F467 rumah \u2764\ufe0f"
    record = records.enrollment(address=address, notes=notes)
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 201, answer.text
    row = stored(data_dir, record["id"])
    assert row["address"] == address and row["notes"] == notes


def test_malformed_json_is_400(api, data_dir):
    answer = api("enumerator").post("/api/v1/enrollments", data=b"{not json",
                                    headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_json"


@pytest.mark.parametrize("path", ["/api/v1/enrollments", "/api/v1/enrollments:batch"])
def test_a_body_saved_with_a_utf8_bom_is_read(api, records, data_dir, path):
    """Windows tools (Notepad, PowerShell's Out-File) start UTF-8 with a BOM."""
    record = records.enrollment()
    body = record if path.endswith("enrollments") else {"enrollments": [record]}
    answer = api("enumerator").post(path, data=b"\xef\xbb\xbf" + json.dumps(body).encode(),
                                    headers={"Content-Type": "application/json"})
    assert answer.status_code in (200, 201), answer.text
    assert stored(data_dir, record["id"])["nik"] == record["nik"]


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b"\"text\"", b"{\"a\": NaN}"])
def test_json_that_is_not_an_object_is_refused(api, body):
    answer = api("enumerator").post("/api/v1/enrollments", data=body,
                                    headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422)
    assert answer.json()["code"] in ("malformed_json", "validation_error")


def test_wrong_content_type_is_415(api, records):
    answer = api("enumerator").post("/api/v1/enrollments", data=json.dumps(records.enrollment()),
                                    headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415 and answer.json()["code"] == "unsupported_media_type"


def test_record_over_one_megabyte_is_413(api, records, data_dir):
    record = records.enrollment(notes="x" * (1024 * 1024 + 10))
    answer = api("enumerator").post("/api/v1/enrollments", json=record)
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    assert snapshot(data_dir) == []


def test_missing_or_bad_token_is_401(api, records):
    anonymous = api()
    assert anonymous.post("/api/v1/enrollments", json=records.enrollment()).status_code == 401
    anonymous.session.headers["Authorization"] = "Bearer nope"
    answer = anonymous.post("/api/v1/enrollments", json=records.enrollment())
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_roles_that_do_not_record_get_403(api, records, role, data_dir):
    answer = api(role).post("/api/v1/enrollments", json=records.enrollment())
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert snapshot(data_dir) == []


def test_nik_never_reaches_the_server_log(api, records, caplog):
    record = records.enrollment()
    with caplog.at_level("DEBUG"):
        api("enumerator").get(f"/api/v1/enrollments?q={record['nik']}")
        api("enumerator").post("/api/v1/enrollments", json=record)
        api("admin").get(f"/api/v1/enrollments?q={record['nik']}")  # refused: logged
    server_records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    assert any(r.name.startswith("berjasa") for r in server_records)
    for entry in server_records:
        assert record["nik"] not in entry.getMessage()


def test_valid_generated_nik_roundtrip(records):
    record = records.enrollment()
    import datetime as dt
    errors = [p for p in identity.check_nik(record["nik"], dt.date.fromisoformat(
        record["birth_date"]), record["sex"]) if p.severity == "error"]
    assert errors == []


def test_the_documented_enrollment_is_what_validates_the_body(api, records, data_dir):
    """/openapi.json's Enrollment (from EnrollmentSchema) against the handler: every
    documented required field, left out, is a 422 on that field; every documented
    client field is accepted; a field the document does not list is refused."""
    client = api("enumerator")
    document = client.get("/openapi.json").json()
    enrollment = document["components"]["schemas"]["Enrollment"]
    writable = {name for name, spec in enrollment["properties"].items()
                if not spec.get("readOnly")}
    for path in ("/api/v1/enrollments", "/api/v1/enrollments/{enrollment_id}"):
        operation = document["paths"][path]["post" if path.endswith("enrollments") else "patch"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Enrollment"}
    record = records.enrollment(phone="0812-3456-7890", notes="catatan",
                                location={"lat": -5.1, "lon": 119.4, "accuracy_m": 5.0},
                                possible_duplicate="nik", heir_phone="0411-123456",
                                disability={"has_disability": True, "kinds": ["walking"]})
    assert writable == set(record)
    for name in enrollment["required"]:
        answer = client.post("/api/v1/enrollments",
                             json={k: v for k, v in record.items() if k != name})
        assert answer.status_code == 422 and list(answer.json()["errors"]) == [name], name
    undocumented = client.post("/api/v1/enrollments", json=dict(record, status="approved"))
    assert undocumented.json()["error_codes"] == {"status": ["unknown_field"]}
    assert client.post("/api/v1/enrollments", json=record).status_code == 201


@pytest.mark.parametrize(("location", "field"), [
    ({"lat": 100.0, "lon": 119.4}, "lat"), ({"lat": -90.5, "lon": 119.4}, "lat"),
    ({"lat": -5.1, "lon": 181.0}, "lon"), ({"lat": -5.1, "lon": 119.4, "accuracy_m": -1.0}, "accuracy_m"),
])
def test_a_gps_fix_off_the_globe_is_422_naming_the_coordinate(api, records, location, field):
    """A latitude of 100 is a phone or typing fault: refused, and nothing is stored."""
    client = api("enumerator")
    payload = records.enrollment(location=location)
    answer = client.post("/api/v1/enrollments", json=payload)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert list(errors) == [f"location.{field}"], errors
    assert client.get(f"/api/v1/enrollments/{payload['id']}").status_code == 404
    batch = client.post("/api/v1/enrollments:batch", json={"enrollments": [payload]})
    assert batch.status_code == 200 and f"location.{field}" in json.dumps(batch.json())


def _answer_read_back(app, enrollment_id: str) -> bytes:
    """The 201 body as it was made before the answer stopped reading the row back:
    the stored row, presented and encoded by the app."""
    from berjasa.database import connect
    from server import intake
    from server.storage import enrollments as store

    conn = connect(app.config["DB_PATH"])
    try:
        row = store.get_enrollment(conn, enrollment_id)
    finally:
        conn.close()
    with app.app_context():
        shown = intake.present(row, app.config["SETTINGS"], app.config["KELURAHAN_CODE"])
        return app.json.response(shown).get_data()


def test_a_new_records_answer_is_byte_for_byte_its_stored_row(api, app, records):
    """The 201 body is built from what was written; it must equal the body built
    from reading the row back (key order of JSON columns, NULL columns, warnings)."""
    client = api("enumerator")
    sent = [records.enrollment(), records.problem_enrollment("moved_in"),
            records.enrollment(full_name="Andi Baso Daeng Ngérang", phone=None,
                               notes="catatan — 🏠\n<b>", location=None),
            records.enrollment(possible_duplicate=["name_birth", "nik"]),
            *(records.enrollment() for _ in range(20))]
    for record in sent:
        answer = client.post("/api/v1/enrollments", json=record)
        assert answer.status_code == 201, answer.text
        assert answer.content == _answer_read_back(app, record["id"])


def test_the_row_made_from_a_new_record_is_the_row_read_back(app, records):
    """server.storage.enrollments.stored_row against get_enrollment, key order of
    the JSON columns included; a value SQLite would convert gives None (read it)."""
    from berjasa.database import connect, transaction
    from server import intake
    from server.intake_writer import _new_record
    from server.storage import enrollments as store
    from server.storage.audit import Actor

    actor = Actor("enumerator", "enumerator")
    settings = app.config["SETTINGS"]
    conn = connect(app.config["DB_PATH"])

    def inserted(record):
        with transaction(conn):
            (columns,) = store.insert_enrollments(conn, [record])
        return store.stored_row(columns), store.get_enrollment(conn, record["id"])

    for payload in [records.problem_enrollment("moved_in"),
                    *(records.enrollment() for _ in range(30))]:
        made, read = inserted(_new_record(intake.prepare(payload, settings), actor))
        assert made == read
        assert [json.dumps(made[f]) for f in store.JSON_FIELDS] == \
            [json.dumps(read[f]) for f in store.JSON_FIELDS]
    # JSON columns are parsed from the text written, whatever the values were: a
    # tuple reads back as a list, NaN as NaN, keys sorted
    odd = {"consent": {"at": ("2024", 1), "b": 2, "a": 1},
           "location": {"lat": float("nan"), "lon": 1e-05}}
    made, read = inserted({**_new_record(intake.prepare(records.enrollment(), settings),
                                         actor), **odd})
    assert json.dumps(made, sort_keys=True) == json.dumps(read, sort_keys=True)
    assert list(made["consent"]) == ["a", "at", "b"]
    record = _new_record(intake.prepare(records.enrollment(), settings), actor)
    columns = store._to_columns(record)
    assert store.stored_row(columns) is not None
    for name, value in [("monthly_income", 1500000.0), ("possible_duplicate", True),
                        ("monthly_income", "1500000"), ("version", True), ("status", b"x"),
                        ("rt", 1), ("name_key", 7)]:
        assert store.stored_row({**columns, name: value}) is None, name
    conn.close()
