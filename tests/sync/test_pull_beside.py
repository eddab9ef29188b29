"""The first updates page asked for beside the end of the push
(``GET /api/v1/updates?wait_for=<batch ids>``, docs/sync-protocol.md "Updates
cursor"): central answers once the named batches are stored, so the page holds
what their ingest wrote; the agent applies it after the push instead of asking
then, and asks after the push as before when the page may have missed something
or central does not know ``wait_for``."""

from __future__ import annotations

import base64
import logging
import re
import sys
import threading
import time

import pytest
import requests

from berjasa.background_server import BackgroundServer
from berjasa.database import connect
from berjasa.settings import read_app_config
from central.storage.db import Database, utc_now
from central.storage.updates import add_updates
from sync.agent import run_once
from sync.keys import load_device
from sync.packing import build_batch
from sync.protocol_auth import sign_request
from sync.transport import json_body

h = sys.modules["sync_harness"]  # tests/reliability/harness.py, loaded by tests/sync/conftest.py
A = "73.71.01.1001"


def _signed_get(central, kelurahan, path: str) -> requests.Response:
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    conn.close()
    return requests.get(central.url + path, headers=sign_request(key, device["device_id"], "GET", path))


def test_a_waiting_page_holds_what_the_named_batch_wrote(central, kelurahan):
    h.seed_approved(kelurahan, 4, seed=41)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 10)
    conn.close()
    answers = []
    path = f"/api/v1/updates?since=0&wait_for={built['batch_id']}"
    asking = threading.Thread(target=lambda: answers.append(_signed_get(central, kelurahan, path)))
    asking.start()
    time.sleep(0.5)  # the question waits at central while the batch is still on its way
    assert asking.is_alive()
    posted = requests.post(central.url + "/api/v1/batches", data=built["body"], headers=built["headers"])
    assert posted.status_code == 200
    asking.join(20)
    answer = answers[0]
    assert answer.status_code == 200 and answer.headers.get("Berjasa-Central-Signature")
    page = json_body(answer.content)
    assert page["stored"] is True
    assert {u["record_id"] for u in page["updates"] if u["kind"] == "accepted"} == set(built["record_ids"])
    # and the batch's answer, byte for byte as the POST got it
    assert base64.b64decode(page["answers"][built["batch_id"]]) == posted.content


def test_a_page_without_wait_for_has_no_stored_field_and_bad_ids_are_refused(central, kelurahan):
    plain = _signed_get(central, kelurahan, "/api/v1/updates?since=0")
    assert plain.status_code == 200 and "stored" not in plain.json()
    bad = _signed_get(central, kelurahan, "/api/v1/updates?since=0&wait_for=a;b")
    assert bad.status_code == 422
    many = ",".join(f"b{i}" for i in range(17))
    assert _signed_get(central, kelurahan, f"/api/v1/updates?since=0&wait_for={many}").status_code == 422


def _central_waiting(tmp_path, migrated_databases, monkeypatch, seconds: float, name: str):
    """A central on SQLite waiting at most ``seconds`` for named batches."""
    from central.app import create_app, stop_waiting

    monkeypatch.setenv("BERJASA_CENTRAL_UPDATES_WAIT_SECONDS", str(seconds))
    database_url = migrated_databases("sqlite")
    data_dir = tmp_path / name
    data_dir.mkdir()
    app = create_app(read_app_config(data_dir, database_url=database_url))
    server = BackgroundServer(app, threads=4, on_stop=lambda: stop_waiting(app)).start()
    return h.Central(f"http://127.0.0.1:{server.effective_port}", database_url, data_dir,
                     server=server, port=server.effective_port), app


@pytest.fixture
def impatient_central(tmp_path, migrated_databases, monkeypatch):
    """Central waiting at most 0.5 s for named batches."""
    central, _ = _central_waiting(tmp_path, migrated_databases, monkeypatch, 0.5, "central-impatient")
    yield central
    central.server.close()


def test_a_batch_that_never_comes_is_waited_for_only_so_long(impatient_central, tmp_path):
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    impatient_central.register(folder)
    began = time.monotonic()
    answer = _signed_get(impatient_central, folder, "/api/v1/updates?since=0&wait_for=never-sent")
    assert answer.status_code == 200 and answer.json()["stored"] is False
    assert 0.5 <= time.monotonic() - began < 10  # waited its 0.5 s, not central's 15


def _left_waiting(central, folder, path: str) -> None:
    """A request left waiting at central: cut when the test closes the server."""
    try:
        _signed_get(central, folder, path)
    except requests.RequestException:  # cut, or answered as the server closed
        pass


def _waiting_at(app) -> int:
    from central.updates import WAITING_ROOM

    return app.extensions[WAITING_ROOM].waiting


def test_only_two_requests_wait_at_once_the_others_answer_at_once(
        tmp_path, migrated_databases, monkeypatch):
    """Each waiting request holds a server thread that batches need too: a third
    one looks once and answers at once, while the two wait (30 s here: no race with
    their end, however slow the machine; the test waits until central holds them)."""
    central, app = _central_waiting(tmp_path, migrated_databases, monkeypatch, 30, "central")
    try:
        folder = h.make_kelurahan(tmp_path / "kel-a", A)
        central.register(folder)
        path = "/api/v1/updates?since=0&wait_for=never-sent"
        waiting = [threading.Thread(target=_left_waiting, args=(central, folder, path), daemon=True)
                   for _ in range(2)]
        for thread in waiting:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_at(app) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_at(app) == 2
        third = _signed_get(central, folder, path)
        assert third.status_code == 200 and third.json()["stored"] is False
        assert all(thread.is_alive() for thread in waiting)  # answered while they wait
    finally:
        central.server.close()


def test_a_stopped_central_answers_its_waiting_requests_at_once(
        tmp_path, migrated_databases, monkeypatch):
    """Stopping a central in this process wakes the requests waiting for batches
    (they answer "stored": false) instead of holding the stop for waitress's 5 s
    and polling on after it."""
    central, app = _central_waiting(tmp_path, migrated_databases, monkeypatch, 30, "central")
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    answers: list[requests.Response] = []
    path = "/api/v1/updates?since=0&wait_for=never-sent"

    def ask() -> None:
        try:
            answers.append(_signed_get(central, folder, path))
        except requests.RequestException:
            pass  # the answer may still be on its way when the sockets close

    waiting = threading.Thread(target=ask)
    waiting.start()
    deadline = time.monotonic() + 30
    while _waiting_at(app) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    began = time.monotonic()
    central.server.close()
    waiting.join(10)
    assert time.monotonic() - began < 3  # waitress alone waits 5 s for a busy thread
    assert _waiting_at(app) == 0 and not waiting.is_alive()
    assert [(a.status_code, a.json()["stored"]) for a in answers] in ([(200, False)], [])


def test_the_waiting_limit_is_each_centrals_own(tmp_path, migrated_databases, monkeypatch):
    """Two centrals in one process (the tests, the demo): requests waiting at one
    never make the other's answer at once. The limit was one for the whole process,
    and a test's waiting requests that outlived it (central waits 15 s, a closed
    server 5 s) made the next test's central answer without waiting."""
    busy, _ = _central_waiting(tmp_path, migrated_databases, monkeypatch, 30, "central-busy")
    other, _ = _central_waiting(tmp_path, migrated_databases, monkeypatch, 0.5, "central-other")
    try:
        at_busy = h.make_kelurahan(tmp_path / "kel-a", A)
        busy.register(at_busy)
        at_other = h.make_kelurahan(tmp_path / "kel-b", "73.71.02.1001")
        other.register(at_other)
        path = "/api/v1/updates?since=0&wait_for=never-sent"
        for _ in range(2):
            threading.Thread(target=_left_waiting, args=(busy, at_busy, path), daemon=True).start()
        time.sleep(1.0)  # both wait at the busy central (a slow machine: then not both, still a fail)
        began = time.monotonic()
        answer = _signed_get(other, at_other, path)
        assert answer.status_code == 200 and answer.json()["stored"] is False
        assert time.monotonic() - began >= 0.5  # it waited its own 0.5 s
    finally:
        busy.server.close()
        other.server.close()


def _update_gets(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "urllib3.connectionpool" and "GET /api/v1/updates" in r.getMessage()]


def test_the_run_applies_the_page_asked_beside_its_push_and_asks_no_more(central, kelurahan, caplog):
    ids = h.seed_approved(kelurahan, 3, seed=42)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    central.add_updates([{"kelurahan_code": A, "record_id": ids[0], "kind": "registered",
                          "central_status": "registered", "kpj_number": "25012345678"}])
    h.seed_approved(kelurahan, 40, seed=43)
    caplog.set_level(logging.DEBUG)
    # two senders, four batches: when a sender takes the last one, it is still unanswered
    settings = h.agent_settings(kelurahan, sync_batch_size=10, sync_parallel_requests=2,
                                sync_encode_processes=0)
    report = run_once(kelurahan, settings, "test")
    assert report.ok and report.records_sent == 40 and report.updates_applied >= 1
    gets = _update_gets(caplog)
    # pages ahead (no wait_for) may go first when two answers come before the last
    # batch is taken; the page beside the end is asked once, and nothing after it
    assert [g for g in gets if "wait_for=" in g] == gets[-1:], gets
    assert [r for r in caplog.records if getattr(r, "event", None) == "updates_beside_applied"]
    row = h.kelurahan_rows(kelurahan, "SELECT status, kpj_number FROM enrollments WHERE id = ?", (ids[0],))[0]
    assert (row["status"], row["kpj_number"]) == ("registered", "25012345678")
    cursor = h.kelurahan_rows(kelurahan, "SELECT value FROM sync_state WHERE key = 'updates_cursor'")[0]
    last = central.query("SELECT max(seq) AS seq FROM updates WHERE kelurahan_code = ?", (A,))[0]["seq"]
    assert int(cursor["value"]) <= last  # accepted entries are skipped, never a later one


@pytest.fixture
def wrapped_central(tmp_path, migrated_databases):
    """``start(wrap)``: a central on SQLite whose app is served as ``wrap(app)``, with
    kelurahan A registered at it; returns (wrapper, kelurahan folder, database URL).
    A wrapper holding requests back is released before its server closes."""
    from central.app import create_app

    running = []

    def start(wrap):
        database_url = migrated_databases("sqlite")
        data_dir = tmp_path / "central-wrapped"
        data_dir.mkdir()
        wrapper = wrap(create_app(read_app_config(data_dir, database_url=database_url)))
        server = BackgroundServer(wrapper, threads=8).start()
        running.append((wrapper, server))
        central = h.Central(f"http://127.0.0.1:{server.effective_port}", database_url, data_dir,
                            server=server, port=server.effective_port)
        folder = h.make_kelurahan(tmp_path / "kel-a", A)
        central.register(folder)
        return wrapper, folder, database_url

    yield start
    for wrapper, server in running:
        if hasattr(wrapper, "release"):
            wrapper.release.set()
        server.close()


class _OneVersionBehind:
    """Central before ``wait_for``: the same app, but a request naming it is
    answered as central then answered an unknown query parameter (422)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        if "wait_for=" in environ.get("QUERY_STRING", ""):
            start_response("422 UNPROCESSABLE ENTITY", [("Content-Type", "application/json")])
            return [b'{"code": "validation_error", "message": "Isian tidak valid."}']
        return self.app(environ, start_response)


def test_a_central_without_wait_for_is_asked_after_the_push_as_before(wrapped_central, caplog):
    _, folder, _ = wrapped_central(_OneVersionBehind)
    h.seed_approved(folder, 30, seed=44)
    caplog.set_level(logging.DEBUG)
    report = run_once(folder, h.agent_settings(folder, sync_batch_size=10, sync_parallel_requests=2,
                                               sync_encode_processes=0), "test")
    assert report.ok and report.records_sent == 30, report
    gets = _update_gets(caplog)
    # pages ahead (no wait_for) may go before the question beside the end; that
    # question is refused, and the page is asked once more after the push, plainly
    beside = [i for i, g in enumerate(gets) if "wait_for=" in g]
    assert len(beside) == 1 and '" 422 ' in gets[beside[0]], gets
    after = gets[beside[0] + 1:]
    assert len(after) == 1 and "wait_for=" not in after[0], gets


class _AnswerHeld:
    """Central whose answer to the ``nth`` batch POST is held back until
    ``release`` is set, after central has stored the batch: an answer lost on the
    way back, which TCP would only deliver after a retransmission timeout."""

    def __init__(self, app, nth: int) -> None:
        self.app, self.nth = app, nth
        self.release = threading.Event()
        self.posts = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        is_batch = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/api/v1/batches"
        with self.lock:
            self.posts += is_batch
            hold = is_batch and self.posts == self.nth
        body = self.app(environ, start_response)
        if hold:
            body = list(body)  # central has decided and stored the batch by now
            self.release.wait(60)
        return body


def _run_while_held(held, folder):
    """One run (two senders, batches of 10) while ``held`` holds something back;
    (settings, report) once checked that the run ended with it still held, in less
    than half the read timeout that would otherwise have ended the wait."""
    # a read timeout far above what a loaded machine takes for the run itself (it was
    # 10 s, and the run had to end in 5: under load it did not always)
    settings = h.agent_settings(folder, sync_batch_size=10, sync_parallel_requests=2,
                                sync_encode_processes=0, sync_read_timeout_seconds=60.0)
    report = run_once(folder, settings, "test")
    still_held = not held.release.is_set()
    held.release.set()
    assert still_held and report.seconds < settings["sync_read_timeout_seconds"] / 2, report
    return settings, report


@pytest.mark.parametrize("answers_in_page", [True, False], ids=["in-page", "asked-for"])
def test_an_answer_held_on_the_way_is_fetched_and_the_run_ends_without_it(
        wrapped_central, caplog, monkeypatch, answers_in_page):
    """The page beside the push carries the answers of the batches it waited for;
    from a central one version behind (no ``answers``) the agent asks for them."""
    from central.api import updates as updates_api

    if not answers_in_page:
        monkeypatch.setattr(updates_api, "batch_answers", lambda *args: {})
    # two senders, four batches of 10: the fourth POST is the run's last batch
    held, folder, _ = wrapped_central(lambda app: _AnswerHeld(app, nth=4))
    h.seed_approved(folder, 40, seed=45)
    caplog.set_level(logging.DEBUG)
    settings, report = _run_while_held(held, folder)
    for thread in threading.enumerate():
        if thread.name.startswith("sync-send-"):
            thread.join(20)
            assert not thread.is_alive()
    again = run_once(folder, settings, "test")  # nothing left to send
    # the run ended while the POST's answer was still held at central, long before
    # the POST's read timeout would have let it ask for the answer (_run_while_held)
    assert report.ok and report.records_sent == 40 and report.batches_sent == 4, report
    assert held.posts == 4  # the held batch was not sent again
    fetched = [r for r in caplog.records if getattr(r, "event", None) == "batch_answer_fetched"]
    assert [r.way for r in fetched] == ["page" if answers_in_page else "request"]
    asked = [r for r in caplog.records if "GET /api/v1/batches/" in r.getMessage()
             and r.name == "urllib3.connectionpool"]
    assert len(asked) == (0 if answers_in_page else 1)
    statuses = h.kelurahan_rows(folder, "SELECT status, count(*) AS n FROM enrollments GROUP BY status")
    assert [(r["status"], r["n"]) for r in statuses] == [("synced", 40)]
    pending = h.kelurahan_rows(folder, "SELECT count(*) AS n FROM sync_batches WHERE state != 'answered'")
    assert pending[0]["n"] == 0
    # the held answer that came last was dropped quietly: no sender failed on it
    assert not [r for r in caplog.records if r.getMessage().startswith("sending batch")]
    assert again.ok and again.records_sent == 0 and held.posts == 4


class _PageHeld:
    """Central whose first ``wait_for`` page is held back after it was made, until
    ``release`` is set: a page whose last segment is lost on the way back."""

    def __init__(self, app) -> None:
        self.app = app
        self.release = threading.Event()
        self.pages = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        waiting = environ["PATH_INFO"] == "/api/v1/updates" and "wait_for=" in environ["QUERY_STRING"]
        with self.lock:
            self.pages += waiting
            hold = waiting and self.pages == 1
        body = self.app(environ, start_response)
        if hold:
            body = list(body)
            self.release.wait(60)
        return body


def test_a_late_page_is_asked_again_on_another_connection(wrapped_central, caplog):
    held, folder, database_url = wrapped_central(_PageHeld)
    ids = h.seed_approved(folder, 30, seed=46)
    db = Database(database_url)
    with db.transaction():  # a decision the page must bring
        add_updates(db, [{"kelurahan_code": A, "record_id": ids[0], "kind": "registered",
                          "central_status": "registered", "kpj_number": "25012345679"}], utc_now())
    db.close()
    caplog.set_level(logging.DEBUG)
    _, report = _run_while_held(held, folder)
    assert report.ok and report.records_sent == 30, report
    assert [r for r in caplog.records if getattr(r, "event", None) == "updates_beside_asked_again"]
    gets = _update_gets(caplog)
    # the held question (answered once released) and the one asked again; no pull after the push
    assert held.pages == 2 and all("wait_for=" in get for get in gets), gets
    row = h.kelurahan_rows(folder, "SELECT status, kpj_number FROM enrollments WHERE id = ?", (ids[0],))[0]
    assert (row["status"], row["kpj_number"]) == ("registered", "25012345679")


def test_a_page_on_time_is_asked_once(central, kelurahan, caplog):
    h.seed_approved(kelurahan, 30, seed=47)
    caplog.set_level(logging.DEBUG)
    settings = h.agent_settings(kelurahan, sync_batch_size=10, sync_parallel_requests=2,
                                sync_encode_processes=0)
    assert run_once(kelurahan, settings, "test").ok
    assert not [r for r in caplog.records if getattr(r, "event", None) == "updates_beside_asked_again"]
    assert len(_update_gets(caplog)) == 1


class _DecidesDuringPush:
    """Central that, as each batch POST comes in, writes a ``registered`` decision
    for the next of ``ids`` (records of an earlier run) before it takes the batch,
    so decisions are spread over the whole push and each one is written before a
    page waiting for that batch can be made; with ``fail_ahead``, every updates
    question that does not wait for batches (a page ahead) answers 503."""

    def __init__(self, app, fail_ahead: bool = False) -> None:
        self.app, self.fail_ahead = app, fail_ahead
        self.database_url = ""
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if (self.fail_ahead and environ["PATH_INFO"] == "/api/v1/updates"
                and "wait_for=" not in environ["QUERY_STRING"]):
            start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "application/json")])
            return [b'{"code": "unavailable", "message": "Coba lagi."}']
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/api/v1/batches":
            with self.lock:
                record_id = self.ids.pop(0) if self.ids else None
            if record_id is not None:
                db = Database(self.database_url)
                with db.transaction():
                    add_updates(db, [{"kelurahan_code": A, "record_id": record_id, "kind": "registered",
                                      "central_status": "registered",
                                      "kpj_number": f"25{record_id[:8].encode().hex()[:9]}"}], utc_now())
                db.close()
        return self.app(environ, start_response)



def _decisions_spread_over_a_push(wrapped_central, caplog, fail_ahead: bool):
    """Run 1 syncs 12 records; run 2 pushes 60 more in 12 batches while central
    registers run 1's records one by one. Returns (run 2's report, its updates
    questions' ``since``, whether each waited for batches), after checking that
    every decision reached the kelurahan."""
    decider, folder, database_url = wrapped_central(lambda app: _DecidesDuringPush(app, fail_ahead))
    decider.database_url = database_url
    settings = h.agent_settings(folder, sync_batch_size=5, sync_parallel_requests=2,
                                sync_encode_processes=0)
    first = h.seed_approved(folder, 12, seed=48)
    assert run_once(folder, settings, "test").ok
    decider.ids = list(first)
    h.seed_approved(folder, 60, seed=49)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    report = run_once(folder, settings, "test")
    assert report.ok and report.records_sent == 60, report
    assert not decider.ids  # a decision was written during each of the first 12 POSTs
    rows = h.kelurahan_rows(folder, "SELECT id, status, kpj_number FROM enrollments")
    by_id = {r["id"]: r for r in rows}
    assert [i for i in first if by_id[i]["status"] != "registered" or not by_id[i]["kpj_number"]] == []
    assert sum(r["status"] == "synced" for r in rows) == 60
    gets = _update_gets(caplog)
    return report, [(int(re.search(r"since=(\d+)", g).group(1)), "wait_for=" in g) for g in gets]


def test_pages_ahead_and_the_page_at_the_end_bring_every_decision_made_during_the_push(
        wrapped_central, caplog):
    """Pages are fetched during the push (applied after it, in order), so the page
    asked beside the end starts where they end and holds only the last decisions."""
    report, asked = _decisions_spread_over_a_push(wrapped_central, caplog, fail_ahead=False)
    ahead = [since for since, waits in asked if not waits]
    at_end = [since for since, waits in asked if waits]
    assert ahead and len(at_end) == 1 and not asked[0][1], asked
    assert at_end[0] > ahead[0], asked  # not asked from the start again
    assert sorted(ahead) == ahead  # each page ahead starts where the one before ended
    assert asked[-1][1] or len(asked) == len(ahead) + 1  # nothing asked after the push
    assert report.updates_applied >= 12


def test_a_failing_page_ahead_stops_them_and_the_page_at_the_end_brings_everything(
        wrapped_central, caplog):
    _, asked = _decisions_spread_over_a_push(wrapped_central, caplog, fail_ahead=True)
    # one page ahead was refused (503), none asked after it; the page at the end
    # starts at the stored cursor and, with the pull after it if needed, brings all
    assert [waits for _, waits in asked][:2] == [False, True], asked
    assert asked[1][0] == asked[0][0]


@pytest.mark.slow
def test_a_crash_after_an_answer_is_before_it_is_stored_whichever_way_it_came(wrapped_central):
    """The fault point ``after_answer`` (central answered, the answer not stored: the
    crash tests, tests/sync/test_privacy_central.py) is reached by an answer the page
    beside the push carries too. It was only on the POST's way: when the page came
    first (under load, often), the answer was stored and the run could even end
    before the POST's answer, so the agent did not die where the test said."""
    held, folder, _ = wrapped_central(lambda app: _AnswerHeld(app, nth=1))
    ids = h.seed_approved(folder, 4, seed=50)
    release = threading.Timer(20, held.release.set)  # the POST's answer, long after the page's
    release.start()
    try:
        agent = h.agent_process(folder, crash_at="after_answer")
        assert agent.wait(60) == 137, agent.stderr.read()[-2000:]
    finally:
        release.cancel()
        held.release.set()
    stored = h.kelurahan_rows(folder, "SELECT state FROM sync_batches")
    assert [row["state"] for row in stored] == ["pending"]
    statuses = h.kelurahan_rows(folder, "SELECT status FROM enrollments WHERE id IN (?, ?, ?, ?)",
                                tuple(ids))
    assert {row["status"] for row in statuses} == {"approved"}
