"""The Dukcapil adapter against the stand-in (a real waitress server answering
from a CSV), both backends: each response code, bad behaviour (timeout, 500,
garbage, "Login Gagal", quota reached mid-run) loses no record and decides
nothing wrongly, and the next run resumes where the last one stopped."""

from __future__ import annotations

import csv
import json
import threading
from datetime import datetime, timezone

import pytest
import requests

from berjasa.background_server import BackgroundServer
from berjasa.settings import SettingsError
from central import dukcapil
from central.dukcapil_standin import create_standin, read_people

from .conftest import records
from .office import signed_in
from .test_cli import berjasa

NOON_WITA = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)
# The client's timeout where a test waits for one (the stand-in hangs for the
# ``timeout`` NIK): long enough for a loaded machine to answer the other NIKs.
SHORT_TIMEOUT = 0.4


def _people_csv(tmp_path, people):
    path = tmp_path / "dukcapil.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, ["nik", "nama_lgkp", "tgl_lahir", "no_kk", "tmpt_lhr", "alamat",
                                    "status", "respond"])
        writer.writeheader()
        for p in people:
            writer.writerow({"nik": p["nik"], "nama_lgkp": p["full_name"],
                             "tgl_lahir": p["birth_date"], "no_kk": p.get("kk_number", ""),
                             "tmpt_lhr": p.get("birth_place", ""), "alamat": p.get("address", ""),
                             "status": p.get("status", ""), "respond": p.get("respond", "")})
    return path


@pytest.fixture
def standin(tmp_path):
    """``standin(people)`` serves them; a ``timeout`` NIK hangs until the test ends."""
    servers = []
    test_over = threading.Event()

    def start(people, **kwargs):
        app = create_standin(read_people(_people_csv(tmp_path, people)), slow_seconds=30,
                             released=test_over, **kwargs)
        server = BackgroundServer(app, threads=4).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    test_over.set()
    for server in servers:
        server.close()


def _config(url, **kwargs):
    values = {"url": url, "agency": "disnaker_makassar", "user_id": "berjasa",
              "password": "rahasia", "ip_user": "127.0.0.1", "timeout_seconds": 1.0,
              "retries": 2, "backoff_seconds": 0.01, "hours": "07:00-17:00",
              "daily_quota": 1000}
    values.update(kwargs)
    return dukcapil.DukcapilConfig(**values)


def _run(central, config, limit=100):
    db = central.db()
    try:
        return dukcapil.run(db, config, limit=limit, now=lambda: NOON_WITA)
    finally:
        db.close()


def _calls(url):
    return requests.get(f"{url}/_calls", timeout=5).json()["by_nik"]


def _state(central):
    rows = central.query("SELECT r.nik, c.state, c.response_code FROM dukcapil_checks c"
                         " JOIN records r ON r.central_id = c.central_id")
    return {r["nik"]: (r["state"], r["response_code"]) for r in rows}


def _findings(central):
    rows = central.query("SELECT r.nik, f.kind, f.evidence FROM findings f"
                         " JOIN records r ON r.central_id = f.central_id WHERE f.status = 'open'")
    return {r["nik"]: (r["kind"], json.loads(r["evidence"])) for r in rows}


def test_each_response_code_becomes_an_answer_or_a_finding(central, standin):
    device = central.register()
    sent = records(6)
    device.send(sent)
    ok, renamed, deceased, multiple, inactive, unknown = sent
    url = standin([ok, {**renamed, "full_name": "Abdul Kadir Tompo"},
                   {**deceased, "status": "deceased"}, {**multiple, "status": "multiple"},
                   {**inactive, "status": "inactive"}])
    summary = _run(central, _config(url))
    assert summary == {"enabled": True, "asked": 6, "done": 6, "deferred": 0, "findings": 5,
                       "stopped": None}
    assert {nik: code for nik, (_, code) in _state(central).items()} == {
        ok["nik"]: "01", renamed["nik"]: "01", deceased["nik"]: "11", multiple["nik"]: "12",
        inactive["nik"]: "14", unknown["nik"]: "13"}
    found = _findings(central)
    assert {nik: kind for nik, (kind, _) in found.items()} == {
        renamed["nik"]: "dukcapil_mismatch", deceased["nik"]: "dukcapil_deceased",
        multiple["nik"]: "dukcapil_multiple_nik", inactive["nik"]: "dukcapil_inactive",
        unknown["nik"]: "dukcapil_not_found"}
    elements = found[renamed["nik"]][1]["elements"]
    assert elements["NAMA_LGKP"]["result"] == "Tidak Sesuai"
    assert isinstance(elements["NAMA_LGKP"]["score"], int)
    assert elements["TGL_LHR"] == {"result": "Sesuai", "score": None}
    # findings never reject: every record still active at central
    assert {r["status"] for r in central.query("SELECT status FROM records")} == {"accepted"}
    # a second run asks nobody again (the answers are kept per record version)
    assert _run(central, _config(url))["asked"] == 0
    assert set(_calls(url).values()) == {1}


@pytest.mark.parametrize("respond", ["timeout", "500", "garbage"])
def test_outage_defers_the_record_stops_and_the_next_run_resumes(central, standin, respond):
    device = central.register()
    sent = records(4)
    device.send(sent)
    broken = sent[1]
    url = standin([sent[0], {**broken, "respond": respond}, sent[2], sent[3]])
    # a short timeout: the hanging stand-in costs two of them, not two seconds
    first = _run(central, _config(url, timeout_seconds=SHORT_TIMEOUT))
    assert first["stopped"] == "unavailable"
    assert (first["done"], first["deferred"]) == (1, 1)
    assert _state(central) == {sent[0]["nik"]: ("done", "01"), broken["nik"]: ("deferred", None)}
    assert _findings(central) == {}                # nothing decided on a failure
    assert _calls(url)[broken["nik"]] == 2         # retried (2 attempts)
    # every call made counts against the daily quota, the retry too
    assert central.query("SELECT calls FROM dukcapil_usage")[0]["calls"] == sum(_calls(url).values()) == 3
    # the service recovers: the next run starts at the deferred record
    fixed = standin(sent)
    second = _run(central, _config(fixed))
    assert (second["asked"], second["done"], second["stopped"]) == (3, 3, None)
    assert set(_calls(fixed)) == {broken["nik"], sent[2]["nik"], sent[3]["nik"]}
    assert {state for state, _ in _state(central).values()} == {"done"}


def test_login_gagal_stops_without_deciding(central, standin):
    device = central.register()
    sent = records(3)
    device.send(sent)
    url = standin(sent)
    summary = _run(central, _config(url, password="salah"))
    assert summary["stopped"] == "code_03" and summary["done"] == 0
    assert _state(central) == {sent[0]["nik"]: ("deferred", "03")}
    assert _findings(central) == {}
    assert _run(central, _config(url))["done"] == 3


def test_quota_reached_mid_run_then_resumes(central, standin):
    device = central.register()
    sent = records(5)
    device.send(sent)
    url = standin(sent, quota=2)
    first = _run(central, _config(url))
    assert (first["done"], first["deferred"], first["stopped"]) == (2, 1, "code_05")
    requests.post(f"{url}/_quota", json={"more": 10}, timeout=5)
    second = _run(central, _config(url))
    assert (second["done"], second["stopped"]) == (3, None)
    assert {state for state, _ in _state(central).values()} == {"done"}
    assert _findings(central) == {}


def test_local_quota_and_access_hours_are_respected(central, standin):
    device = central.register()
    sent = records(3)
    device.send(sent)
    url = standin(sent)
    assert _run(central, _config(url, daily_quota=1))["stopped"] == "quota_used_up"
    assert sum(_calls(url).values()) == 1
    night = datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc)  # 22:00 WITA
    db = central.db()
    try:
        outcome = dukcapil.run(db, _config(url, daily_quota=100), now=lambda: night)
    finally:
        db.close()
    assert outcome["stopped"] == "outside_hours" and outcome["asked"] == 0


def test_not_configured_raises_nothing_and_the_dashboard_says_so(central):
    device = central.register()
    device.send(records(2))
    assert _run(central, None) == {"enabled": False, "asked": 0, "done": 0, "deferred": 0,
                                   "findings": 0, "stopped": "not_configured"}
    assert _findings(central) == {}
    page = signed_in(central, "operator").get(f"{central.url}/", timeout=30)
    assert page.status_code == 200
    assert "Pemeriksaan identitas ke Dukcapil tidak aktif" in page.text


def test_parse_answer_shapes():
    parsed = dukcapil.parse_answer({"content": [{"RESPONSE_CODE": "01", "NIK": "Sesuai",
                                                 "NAMA_LGKP": "Tidak Sesuai (59)"}]})
    assert parsed.code == "01"
    assert parsed.elements["NAMA_LGKP"] == {"result": "Tidak Sesuai", "score": 59}
    assert dukcapil.parse_answer({"content": [{"RESPON": "Login Gagal"}]}).code == "03"
    assert dukcapil.parse_answer({"content": [{"RESPON": "IP Address Tidak Sesuai"}]}).code == "04"
    for garbage in (None, [], {"content": []}, {"content": ["x"]}, {"content": [{"A": 1}]},
                    {"content": [{"RESPONSE_CODE": "<script>"}]}):
        with pytest.raises(dukcapil.Unavailable):
            dukcapil.parse_answer(garbage)


def test_request_body_sends_dates_as_dukcapil_writes_them():
    body = dukcapil.request_body(_config("http://x"), {"nik": "7371011234560001",
                                                       "birth_date": "1985-03-12",
                                                       "full_name": "Baso"})
    assert body["TGL_LHR"] == "12-03-1985" and body["TRESHOLD"] == 90
    assert body["NAMA_LGKP"] == "Baso" and "ALAMAT" not in body


def _two_records_and_a_standin(central, standin) -> tuple:
    """Two records at an initialised central, the first known to a stand-in;
    (data folder, the stand-in's URL)."""
    device = central.register()
    sent = records(2)
    device.send(sent)
    url = standin([sent[0]])
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    return central.data_dir, url


def _dukcapil_on(monkeypatch, url: str) -> None:
    for name, value in (("URL", url), ("USER_ID", "berjasa"), ("PASSWORD", "rahasia"),
                        ("HOURS", "00:00-24:00")):  # all day (23:59 would leave out 23:59 WITA)
        monkeypatch.setenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", value)


def test_verify_command_runs_against_the_standin(central, standin, monkeypatch):
    data, url = _two_records_and_a_standin(central, standin)
    off = json.loads(berjasa("central", "verify", "--json", data_dir=data).stdout)
    assert off["dukcapil"]["enabled"] is False and off["dukcapil"]["asked"] == 0
    _dukcapil_on(monkeypatch, url)
    on = json.loads(berjasa("central", "verify", "--limit", "5", "--json", data_dir=data).stdout)
    assert on["dukcapil"]["asked"] == 2 and on["dukcapil"]["findings"] == 1


def _settings(**values):
    """Central's declared defaults with these values (as settings.toml or the
    environment would give them)."""
    from berjasa.cli import declare_settings
    from berjasa.settings import SETTINGS

    declare_settings()
    return {**{name: s.default for name, s in SETTINGS.items()}, **values}


@pytest.mark.parametrize("values, named", [
    ({"central_dukcapil_user_id": ""}, "central_dukcapil_user_id"),
    ({"central_dukcapil_password": ""}, "central_dukcapil_password"),
    ({"central_dukcapil_user_id": "berjasa", "central_dukcapil_password": "  "},
     "central_dukcapil_password"),
    ({"central_dukcapil_hours": "7-17"}, "central_dukcapil_hours"),
    ({"central_dukcapil_hours": "07:00-25:00"}, "central_dukcapil_hours"),
    ({"central_dukcapil_hours": "07:60-17:00"}, "central_dukcapil_hours"),
    ({"central_dukcapil_threshold": 0}, "central_dukcapil_threshold"),
    ({"central_dukcapil_threshold": 96}, "central_dukcapil_threshold"),
])
def test_settings_that_cannot_work_are_refused_by_name(values, named):
    """A URL with no credentials, unreadable access hours or a threshold Dukcapil
    does not take: one clear error naming the setting, not a run that calls
    outside the hours or only ever meets "Login Gagal"."""
    base = {"central_dukcapil_url": "http://127.0.0.1:9", "central_dukcapil_user_id": "berjasa",
            "central_dukcapil_password": "rahasia"}
    with pytest.raises(SettingsError) as refused:
        dukcapil.DukcapilConfig.from_settings(_settings(**{**base, **values}))
    assert named in str(refused.value)
    assert "rahasia" not in str(refused.value)  # the password never in a message


def test_credentials_come_only_from_the_settings_given():
    """No default credentials: with only the URL set, the configuration refuses
    (the repository ships none); with them set it carries what was given."""
    assert dukcapil.DukcapilConfig.from_settings(_settings()) is None
    config = dukcapil.DukcapilConfig.from_settings(_settings(
        central_dukcapil_url="http://127.0.0.1:9/", central_dukcapil_user_id="u1",
        central_dukcapil_password="p1", central_dukcapil_hours="22:00-06:00"))
    assert (config.url, config.user_id, config.password) == ("http://127.0.0.1:9", "u1", "p1")
    # hours across midnight, Makassar time
    assert config.within_hours(datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc))    # 23:00 WITA
    assert not config.within_hours(NOON_WITA)


def test_unreadable_hours_never_mean_always_open():
    config = _config("http://x", hours="tujuh sampai lima")
    assert not config.within_hours(NOON_WITA)
    assert dukcapil.parse_hours("00:00-24:00") == (0, 1440)


def test_dashboard_says_why_dukcapil_is_off(central):
    db = central.db()
    try:
        shown = dukcapil.status(db, _settings(central_dukcapil_url="http://127.0.0.1:9"))
    finally:
        db.close()
    assert shown["enabled"] is False and "central_dukcapil_user_id" in shown["problem"]


def test_verify_command_refuses_a_url_without_credentials(central, monkeypatch):
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    monkeypatch.setenv("BERJASA_CENTRAL_DUKCAPIL_URL", "http://127.0.0.1:9")
    for name in ("USER_ID", "PASSWORD"):
        monkeypatch.delenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", raising=False)
    refused = berjasa("central", "verify", data_dir=data, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "central_dukcapil_user_id" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_a_second_verify_run_is_refused_while_one_runs(central, standin, monkeypatch):
    """Two runs at once would ask Dukcapil twice for a record (and spend the quota):
    while one holds the folder's verify lock, another stops with one line."""
    from berjasa.folder_lock import lock_dir, try_lock
    from central.cli_verify import VERIFY_LOCK

    data, url = _two_records_and_a_standin(central, standin)
    _dukcapil_on(monkeypatch, url)
    running = try_lock(lock_dir(data) / VERIFY_LOCK)  # what a running verify holds
    assert running is not None
    with running:
        refused = berjasa("central", "verify", "--json", data_dir=data, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "sedang berjalan" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    after = json.loads(berjasa("central", "verify", "--json", data_dir=data).stdout)
    assert after["dukcapil"]["asked"] == 2  # nothing was asked by the refused run


@pytest.mark.parametrize("code", ["04", "06", "16", "17"])
def test_cannot_verify_now_codes_defer_and_stop(central, standin, code):
    """IP not allowed, outside hours, agency or user inactive: decide nothing,
    stop, and the next run starts again at that record."""
    device = central.register()
    sent = records(3)
    device.send(sent)
    url = standin([sent[0], {**sent[1], "respond": code}, sent[2]])
    summary = _run(central, _config(url))
    assert (summary["done"], summary["deferred"], summary["stopped"]) == (1, 1, f"code_{code}")
    assert _state(central) == {sent[0]["nik"]: ("done", "01"), sent[1]["nik"]: ("deferred", code)}
    assert _findings(central) == {}
    assert _run(central, _config(standin(sent)))["done"] == 2


@pytest.mark.parametrize("code", ["07", "08"])
def test_our_defect_codes_defer_the_record_and_go_on(central, standin, code):
    """Request incomplete / cannot be processed: a defect of ours, not of the
    person: the record is deferred with the code, no finding, the run goes on."""
    device = central.register()
    sent = records(3)
    device.send(sent)
    url = standin([sent[0], {**sent[1], "respond": code}, sent[2]])
    summary = _run(central, _config(url))
    assert (summary["done"], summary["deferred"], summary["stopped"]) == (2, 1, None)
    assert _state(central)[sent[1]["nik"]] == ("deferred", code)
    assert _findings(central) == {}
    assert {r["status"] for r in central.query("SELECT status FROM records")} == {"accepted"}


def test_verifier_page_shows_dukcapil_elements_beside_what_was_sent(central, standin):
    """A dukcapil_mismatch finding on the verifiers' page: each element named in
    Indonesian, the record's value beside Dukcapil's answer and score."""
    device = central.register()
    sent = records(1)
    device.send(sent)
    url = standin([{**sent[0], "full_name": "Abdul Kadir Tompo"}])
    assert _run(central, _config(url))["findings"] == 1
    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10)
    card = page.text.split('class="card finding"', 1)[1].split("</article>", 1)[0]
    name_row = card.split('<th scope="row">Nama lengkap</th>', 1)[1].split("</tr>", 1)[0]
    assert sent[0]["full_name"] in name_row and "Tidak Sesuai (skor" in name_row
    assert '<th scope="row">Tanggal lahir</th>' in card and "NAMA_LGKP" not in card


@pytest.mark.slow
def test_standin_command_serves_central_verify(central, tmp_path, monkeypatch):
    """`berjasa central dukcapil-standin` as a process, with the password it
    accepts from stdin (none in the repository), answers `central verify`; a CSV it
    cannot read is one clear line."""
    import subprocess
    import time

    from tests.helpers import BERJASA, free_port

    device = central.register()
    sent = records(2)
    device.send(sent)
    people = _people_csv(tmp_path, [sent[0], {**sent[1], "status": "deceased"}])
    port = free_port()
    standin_process = subprocess.Popen(
        [*BERJASA, "central", "dukcapil-standin", "--csv", str(people), "--port", str(port),
         "--user-id", "disnaker", "--password-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        standin_process.stdin.write(b"kata-sandi-uji\n")
        standin_process.stdin.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/_calls", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                assert standin_process.poll() is None, standin_process.stderr.read()
                time.sleep(0.2)
        data = central.data_dir
        berjasa("central", "init", "--database", central.database_url, data_dir=data)
        for name, value in (("URL", url), ("USER_ID", "disnaker"), ("PASSWORD", "kata-sandi-uji"),
                            ("HOURS", "00:00-24:00")):
            monkeypatch.setenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", value)
        done = json.loads(berjasa("central", "verify", "--json", data_dir=data).stdout)["dukcapil"]
        assert (done["asked"], done["done"], done["findings"]) == (2, 2, 1)
        assert _findings(central)[sent[1]["nik"]][0] == "dukcapil_deceased"
    finally:
        standin_process.terminate()
        standin_process.wait(timeout=20)
    bad = tmp_path / "rusak.csv"
    bad.write_bytes(b"nik,nama\n\xff\xfe\x00rusak\n")
    refused = berjasa("central", "dukcapil-standin", "--csv", str(bad), "--port", "0",
                      data_dir=central.data_dir, check=False)
    assert refused.returncode != 0 and "berkas CSV tidak dapat dibaca" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_fix_keeps_a_finding_about_the_nik_open(central, standin):
    """Dukcapil said the NIK's holder is deceased; the record was sent back and a
    fix with the same NIK arrived: the finding is about the NIK, not the edited
    fields, so it stays open (off the registration file) until a verifier decides.
    A fix that corrects the NIK itself supersedes it."""
    from central import verification

    device = central.register()
    same, renumbered = [{**r, "version": 2} for r in records(2)]
    device.send([same, renumbered])
    url = standin([{**same, "status": "deceased"}, {**renumbered, "status": "multiple"}])
    assert _run(central, _config(url))["findings"] == 2
    db = central.db()
    try:
        for person in (same, renumbered):
            verification.send_back(db, person["nik"], "Periksa KTP", "vera")
    finally:
        db.close()
    other_nik = records(3, seed=9)[2]["nik"]
    device.send([{**same, "version": 4, "address": "Jl. Baru No. 1"},
                 {**renumbered, "version": 4, "nik": other_nik}])
    open_kinds = {(r["record_id"], r["kind"]) for r in central.query(
        "SELECT r.record_id, f.kind FROM findings f JOIN records r ON r.central_id = f.central_id"
        " WHERE f.status = 'open'")}
    assert open_kinds == {(same["id"], "dukcapil_deceased")}


def test_verify_command_says_in_indonesian_why_it_stopped(central, standin, monkeypatch):
    """Outside the access hours the run asks nobody and says so in words (not the
    summary's code), with the setting to look at."""
    device = central.register()
    device.send(records(1))
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    later = datetime.now(timezone.utc).astimezone(dukcapil.WITA).hour
    window = f"{(later + 6) % 24:02d}:00-{(later + 7) % 24:02d}:00"  # hours away from now
    for name, value in (("URL", standin([])), ("USER_ID", "berjasa"), ("PASSWORD", "rahasia"),
                        ("HOURS", window)):
        monkeypatch.setenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", value)
    said = berjasa("central", "verify", data_dir=data).stdout
    assert "berhenti: di luar jam akses (central_dukcapil_hours)" in said
    assert "outside_hours" not in said
    assert dukcapil.stop_text("code_05") == "Dukcapil menjawab kode 05 (kuota harian habis)"


def test_a_record_dukcapil_cannot_process_stops_using_the_quota(central, standin):
    """07/08 again and again: after DEFECT_ATTEMPTS answers the record is left for a
    person and the daily quota goes to the records that can be checked."""
    device = central.register()
    sent = records(2)
    device.send(sent)
    url = standin([{**sent[0], "respond": "08"}])
    for _ in range(dukcapil.DEFECT_ATTEMPTS + 2):
        _run(central, _config(url))
    assert _calls(url)[sent[0]["nik"]] == dukcapil.DEFECT_ATTEMPTS
    assert _state(central)[sent[0]["nik"]] == ("deferred", "08")
