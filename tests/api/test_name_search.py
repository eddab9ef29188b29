"""api and pages: the name search (``q``) ignores case, accents, apostrophes and
punctuation, the same way on the stored name and on the query (docs/api.md): the
phone's "Ma'ruf" finds the KTP's "Ma’ruf Daéng Ngëmba", and "Hj St", "Hj.St." and
"Hj. St." find "Hj. St. Aminah" alike."""

from __future__ import annotations

import pytest

from berjasa.synthetic import EnrollmentFaker
from tests.conftest import KELURAHAN, ApiClient

NAMES = ("Ma’ruf Daéng Ngëmba", "Hj. St. Aminah", "Abdul-Rahman Hasan", "Andi Baso'",
         "Muhammad Ali")


def store_names(client) -> dict[str, str]:
    """One record per name in ``NAMES``, posted by ``client``: name -> id."""
    faker = EnrollmentFaker(KELURAHAN, seed=7)
    ids = {}
    for name in NAMES:
        payload = faker.enrollment(full_name=name)
        assert client.post("/api/v1/enrollments", json=payload).status_code == 201
        ids[name] = payload["id"]
    return ids


@pytest.fixture
def held(api) -> dict[str, str]:
    return store_names(api("enumerator"))


@pytest.fixture(scope="module")
def held_for_searches(module_live_server: str) -> dict[str, str]:
    """The records, stored once for the searches that only read (tests/conftest.py
    module_data_dir); each search checks it finds exactly its one name."""
    return store_names(ApiClient(module_live_server, "enumerator"))


@pytest.mark.parametrize("query,found", [
    ("Ma'ruf", "Ma’ruf Daéng Ngëmba"), ("Ma’ruf", "Ma’ruf Daéng Ngëmba"),
    ("maruf", "Ma’ruf Daéng Ngëmba"), ("MARUF DAENG", "Ma’ruf Daéng Ngëmba"),
    ("ma‘ruf daéng ngemba", "Ma’ruf Daéng Ngëmba"), ("Ma`ruf", "Ma’ruf Daéng Ngëmba"),
    ("Hj St", "Hj. St. Aminah"), ("Hj.St.", "Hj. St. Aminah"), ("Hj. St.", "Hj. St. Aminah"),
    ("hj st aminah", "Hj. St. Aminah"), ("St. Aminah", "Hj. St. Aminah"),
    ("Abdul Rahman", "Abdul-Rahman Hasan"), ("abdul-rahman", "Abdul-Rahman Hasan"),
    ("andi baso", "Andi Baso'"), ("Baso’", "Andi Baso'"),
])
def test_names_are_found_whatever_the_apostrophes_and_punctuation(module_api, held_for_searches,
                                                                  query, found):
    answer = module_api("supervisor").get("/api/v1/enrollments", params={"q": query})
    assert answer.status_code == 200
    assert [item["full_name"] for item in answer.json()["items"]] == [found], query


@pytest.mark.parametrize("query", ["'", "’ . -", "Ma'ruf Ali", "hjst"])
def test_punctuation_alone_or_other_words_find_nothing(module_api, held_for_searches, query):
    answer = module_api("supervisor").get("/api/v1/enrollments", params={"q": query})
    assert answer.status_code == 200 and answer.json()["items"] == [], query


def test_the_supervisor_pages_search_the_same_way(api, held):
    supervisor = api("supervisor")
    for query in ("Ma'ruf", "Hj.St."):
        page = supervisor.get("/", params={"q": query}).text
        assert held["Ma’ruf Daéng Ngëmba" if "ruf" in query else "Hj. St. Aminah"] in page
        page = supervisor.get("/enrollments", params={"status": "all", "q": query}).text
        assert held["Ma’ruf Daéng Ngëmba" if "ruf" in query else "Hj. St. Aminah"] in page
    # an edited name is found by its new spelling
    record_id = held["Muhammad Ali"]
    edit = supervisor.patch(f"/api/v1/enrollments/{record_id}", json={"full_name": "Muh. Ali’"},
                            headers={"If-Match": "1"})
    assert edit.status_code == 200, edit.text
    found = supervisor.get("/api/v1/enrollments", params={"q": "muh ali"}).json()["items"]
    assert [item["id"] for item in found] == [record_id]
