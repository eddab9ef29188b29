"""When a worker central registered is no longer a participant (both backends, through
the commands and the verifiers' page): the BPJS participant list's status is read for
the workers central put on a registration file, at their first registration and on
every later list; a status that is not participation (nonaktif, keluar, ditolak,
meninggal dunia, a spelling not known to be active) keeps the contract (the record is
registered with its KPJ) and raises a finding for a verifier naming the status, the
file and the line, which keeps the worker off the payment list (counted and said);
the verifier's decisions have their own labels, and "participation ended" stops the
payment from the month after, stays registered and tells the kelurahan; a list showing
the worker active again closes the finding. A Dukcapil "deceased" finding is decided
the same way, never by "confirm" (h1 report, defects 1 and 11).
docs/central.md "When participation ends"."""

from __future__ import annotations

import csv
import io
import json

from berjasa import local_time
from central.bpjs_status import bpjs_status

from .conftest import records
from .office import signed_in, token
from .test_cli import berjasa
from .test_dukcapil import standin  # noqa: F401 (the Dukcapil stand-in fixture)

UNRELATED = "7371014501900001"  # a participant who is none of the records sent
MONTH = local_time.today().strftime("%Y-%m")
_YEAR, _NUMBER = (int(p) for p in MONTH.split("-"))
NEXT = f"{_YEAR + _NUMBER // 12}-{_NUMBER % 12 + 1:02d}"
START = f"{_YEAR - 1}-{_NUMBER:02d}"  # coverage began a year ago
# the month before START: the end of a participation that never began (no month paid)
BEFORE_START = f"{_YEAR - 2}-12" if _NUMBER == 1 else f"{_YEAR - 1}-{_NUMBER - 1:02d}"


class Office:
    """The operator's and the verifier's commands on one central."""

    def __init__(self, central, tmp_path):
        self.central, self.tmp_path, self.data = central, tmp_path, central.data_dir
        self.lists = 0
        berjasa("central", "init", "--database", central.database_url, data_dir=self.data)

    def run(self, *args, check=True):
        return berjasa("central", *args, data_dir=self.data, check=check)

    def registration_file(self, people: list[dict]) -> None:
        """DTSEN and a BPJS list that shows none of ``people``, then the registration
        file, which marks them as put on a file."""
        dtsen = self.tmp_path / "dtsen.csv"
        dtsen.write_text("nik;nama;tgl_lahir;kode_kelurahan;desil\n" + "".join(
            f"{p['nik']};{p['full_name']};{p['birth_date']};{p['kelurahan_code']};2\n"
            for p in people), encoding="utf-8")
        self.run("import", "dtsen", str(dtsen))
        self.bpjs_list([])
        out = self.tmp_path / "daftar-bpjs.csv"
        self.run("export", "--what", "bpjs-registration", "--output", str(out))
        with out.open(encoding="utf-8-sig") as f:
            assert {r["NIK"].lstrip("'") for r in csv.DictReader(f)} >= {p["nik"] for p in people}
        # the story: the file went to BPJS in START, the month the lists say coverage
        # began (a participation older than the file is someone else's: bpjs_before_file)
        self.central.change("UPDATE records SET registration_exported_at = ?"
                            " WHERE registration_exported_at IS NOT NULL", (f"{START}-05T00:00:00+00:00",))

    def bpjs_list(self, rows: list[tuple[str, str, str]], as_json: bool = False):
        """Import a BPJS participant list: the unrelated participant first (line 2),
        then (NIK, KPJ, status) rows from line 3 on."""
        path = self.tmp_path / f"peserta-{self.lists}.csv"
        self.lists += 1
        path.write_text("nik,kpj_number,program,status,mulai_kepesertaan\n"
                        f"{UNRELATED},25000000001,JKK+JKM,Aktif,2024-01\n" + "".join(
                            f"{nik},{kpj},JKK+JKM,{status},{START}\n" for nik, kpj, status in rows),
                        encoding="utf-8")
        done = self.run("import", "bpjs-participants", str(path), *(["--json"] if as_json else []))
        return (json.loads(done.stdout) if as_json else done), path.name

    def payment_list(self, month: str = MONTH) -> tuple[set[str], dict, str, list[str]]:
        """(NIKs paid, the --json filters, stderr, the header lines) of a draft list."""
        out = self.tmp_path / f"iuran-{month}-{len(list(self.tmp_path.iterdir()))}.csv"
        done = self.run("export", "--what", "payment-list", "--month", month, "--draft",
                        "--output", str(out), "--json")
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("NO,"))
        rows = csv.DictReader(io.StringIO("\n".join(lines[header:])))
        niks = {r["NIK"].lstrip("'") for r in rows if r["NIK"]}
        titles = [row[0] for row in csv.reader(lines[:header]) if row]
        return niks, json.loads(done.stdout)["filters"], done.stderr, titles

    def findings(self, status: str = "open") -> dict[str, dict]:
        """The status findings by the worker's NIK (the latest one of each)."""
        listed = json.loads(self.run("findings", "--kind", "bpjs_not_active", "--status", status,
                                     "--json").stdout)
        return {f["nik"]: f for f in listed}

    def decide(self, finding_id: int, decision: str, reason: str = "Dicek ke BPJS", check=True):
        return self.run("decide", str(finding_id), "--decision", decision, "--reason", reason,
                        "--by", "vera", check=check)


def registered_worker(central, tmp_path, seed: int, kpj: str) -> tuple:
    """One worker a kelurahan sent, put on the registration file and registered by a
    BPJS list that shows them active with ``kpj``: (the device, the office, the worker)."""
    device = central.register()
    person = records(1, seed=seed)[0]
    device.send([person])
    office = Office(central, tmp_path)
    office.registration_file([person])
    office.bpjs_list([(person["nik"], kpj, "Aktif")])
    return device, office, person


def _statuses(central) -> dict[str, tuple]:
    return {r["nik"]: (r["status"], r["kpj_number"], r["coverage_end"]) for r in central.query(
        "SELECT nik, status, kpj_number, coverage_end FROM records")}


def _updates(device, kind: str) -> dict[str, dict]:
    return {u["record_id"]: u for u in device.updates("0").json()["updates"] if u["kind"] == kind}


def test_the_list_registers_every_worker_central_sent_and_holds_those_not_active(central, tmp_path):
    device = central.register()
    people = records(6, seed=71)
    device.send(people)
    office = Office(central, tmp_path)
    office.registration_file(people)
    active, nonaktif, ditolak, keluar, meninggal, unknown = people
    statuses = {active["nik"]: "Aktif", nonaktif["nik"]: "Non Aktif", ditolak["nik"]: "Ditolak",
                keluar["nik"]: "Keluar", meninggal["nik"]: "Meninggal Dunia",
                unknown["nik"]: "Tidak Aktif"}  # another spelling of not active
    kpj = {p["nik"]: f"2501000000{i}" for i, p in enumerate(people)}
    done, name = office.bpjs_list([(p["nik"], kpj[p["nik"]], statuses[p["nik"]]) for p in people])
    assert "5 pekerja terdaftar tercantum dengan status tidak aktif" in done.stdout

    # the contract: every listed worker central put on a file is registered with its KPJ
    assert _statuses(central) == {p["nik"]: ("registered", kpj[p["nik"]], None) for p in people}
    assert set(_updates(device, "registered")) == {p["id"] for p in people}
    # and a verifier is asked about each status that is not participation
    open_found = office.findings()
    assert set(open_found) == set(statuses) - {active["nik"]}
    for line, person in enumerate(people, start=3):
        if person is active:
            continue
        evidence = open_found[person["nik"]]["evidence"]
        # the list's status as the import reads it (central.bpjs_status: one word each)
        assert (evidence["bpjs_status"], evidence["bpjs_kpj"], evidence["file"], evidence["line"]) == (
            bpjs_status(statuses[person["nik"]]), kpj[person["nik"]], name, line)
        assert evidence["registered_now"] is True
        assert evidence["deceased"] is (person is meninggal)

    # held off the payment list, counted and said
    paid, filters, stderr, header = office.payment_list()
    assert paid == {active["nik"]}
    assert filters["held_open_finding"] == 5
    assert filters["held_finding_bpjs_not_active"] == 5
    said = "5 pekerja terdaftar BPJS ditahan temuan terbuka"
    assert "Perhatian: tidak ada di daftar iuran" in stderr and said in stderr, stderr
    assert any(line.startswith("Perhatian: tidak ada di daftar iuran") and said in line
               and "[bpjs_not_active]" in line for line in header), header

    # the decisions have their own labels: "confirm" does not decide these
    refused = office.decide(open_found[nonaktif["nik"]]["id"], "confirm", check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "diputus dengan keputusannya sendiri" in refused.stderr
    assert "Masih peserta aktif: tetap dibayar (continue)" in refused.stderr
    assert "Bukan peserta lagi: hentikan iuran (end_coverage)" in refused.stderr
    office.decide(open_found[nonaktif["nik"]]["id"], "continue", "BPJS: masih aktif, salah status")
    # not active on the very list that registered them: never a participant, no month paid
    ended = office.decide(open_found[keluar["nik"]]["id"], "end_coverage", "BPJS: sudah keluar")
    assert "belum pernah menjadi peserta, tidak dibayar untuk bulan mana pun" in ended.stdout
    assert f"akhir kepesertaan {BEFORE_START}" in ended.stdout

    # the page offers the death's own labels, and records the decision
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    card = page.split(f'id="temuan-{open_found[meninggal["nik"]]["id"]}"', 1)[1].split("</article>")[0]
    assert "meninggal dunia" in card and f"(baris {3 + people.index(meninggal)})" in card
    assert "Benar meninggal: hentikan iuran" in card
    assert "Masih hidup dan peserta aktif: tetap dibayar" in card
    assert "Identitas benar, lanjutkan" not in card and 'value="reject"' not in card
    answer = verifier.post(f"{central.url}/verifikasi/temuan/{open_found[meninggal['nik']]['id']}",
                           timeout=10, data={"decision": "end_coverage", "reason": "Akta kematian",
                                             "csrf_token": token(verifier, central, "/verifikasi")})
    assert answer.status_code == 200 and "belum pernah menjadi peserta" in answer.text

    assert _statuses(central)[keluar["nik"]] == ("registered", kpj[keluar["nik"]], BEFORE_START)
    assert _statuses(central)[meninggal["nik"]] == ("registered", kpj[meninggal["nik"]], BEFORE_START)
    paid, filters, _, _ = office.payment_list()
    assert paid == {active["nik"], nonaktif["nik"]}
    assert office.payment_list(START)[0] == {active["nik"], nonaktif["nik"]}
    assert filters["held_open_finding"] == 2  # Ditolak and the unknown spelling wait
    paid_next, _, _, _ = office.payment_list(NEXT)
    assert paid_next == {active["nik"], nonaktif["nik"]}
    told = _updates(device, "coverage_ended")
    assert {(u["cause"], u["last_month"]) for u in told.values()} == {
        ("not_participant", BEFORE_START), ("deceased", BEFORE_START)}
    assert set(told) == {keluar["id"], meninggal["id"]}
    trail = {r["action"]: json.loads(r["changes"]) for r in central.query(
        "SELECT action, changes FROM audit_log WHERE action LIKE ?", ("decision.finding.%",))}
    assert trail["decision.finding.end_coverage"]["coverage_end"] == [None, BEFORE_START]
    assert trail["decision.finding.end_coverage"]["status"] == ["registered", "registered"]
    assert trail["decision.finding.continue"]["status"] == ["registered", "registered"]

    # the same list again asks nobody twice; a list showing Ditolak active closes it
    again, _ = office.bpjs_list([(p["nik"], kpj[p["nik"]], statuses[p["nik"]]) for p in people],
                                as_json=True)
    assert "bpjs_not_active" not in again
    assert set(office.findings()) == {ditolak["nik"], unknown["nik"]}
    active_again, _ = office.bpjs_list(
        [(p["nik"], kpj[p["nik"]], "AKTIF" if p is ditolak else statuses[p["nik"]]) for p in people],
        as_json=True)
    assert active_again["bpjs_not_active"] == {"raised": 0, "closed": 1}
    assert set(office.findings()) == {unknown["nik"]}
    assert office.findings("decided")[ditolak["nik"]]["decision"] == "bpjs_list"
    assert ditolak["nik"] in office.payment_list()[0]

    # the whole register shows the last month paid
    everything = office.run("export", "--what", "all").stdout.lstrip("\ufeff")
    rows = {r["NIK"].lstrip("'"): r for r in csv.DictReader(io.StringIO(everything))}
    assert rows[keluar["nik"]]["TERAKHIR_DIBAYAR"] == BEFORE_START
    assert rows[active["nik"]]["TERAKHIR_DIBAYAR"] == ""


def test_a_registered_worker_a_later_list_shows_inactive_waits_for_a_verifier(central, tmp_path):
    device, office, person = registered_worker(central, tmp_path, 73, "25012345678")
    assert person["nik"] in office.payment_list()[0]

    office.bpjs_list([(person["nik"], "25012345678", "NON AKTIF")])
    [finding] = office.findings().values()
    assert finding["evidence"]["registered_now"] is False
    assert person["nik"] not in office.payment_list()[0]
    # a fix from the kelurahan (another address) does not close it: it is about BPJS
    device.send([{**person, "version": person.get("version", 1) + 1,
                  "address": "Jl. Rajawali Lr. 3 No. 12"}])
    assert [f["id"] for f in office.findings().values()] == [finding["id"]]
    # the list changes its answer: the question is asked again with the new status
    office.bpjs_list([(person["nik"], "25012345678", "Meninggal Dunia")])
    [newer] = office.findings().values()
    assert newer["id"] != finding["id"] and newer["evidence"]["deceased"] is True
    assert office.findings("decided")[person["nik"]]["decision"] == "superseded"
    office.decide(newer["id"], "continue", "BPJS: salah catat, masih hidup")
    # answered for this status: the next list with it asks nobody; another status does
    office.bpjs_list([(person["nik"], "25012345678", "Meninggal Dunia")])
    assert office.findings() == {}
    assert person["nik"] in office.payment_list()[0]
    office.bpjs_list([(person["nik"], "25012345678", "Keluar")])
    assert person["nik"] not in office.payment_list()[0]
    assert central.query("SELECT status, coverage_end FROM records") == [
        {"status": "registered", "coverage_end": None}]


# --- Dukcapil: "penduduk sudah meninggal dunia" ------------------------------------


def test_a_death_dukcapil_reports_is_decided_by_its_own_labels(central, tmp_path, request,
                                                               monkeypatch):
    serve_people = request.getfixturevalue("standin")  # test_dukcapil's stand-in
    device = central.register()
    paid_dead, paid_alive, waiting_dead = records(3, seed=79)
    device.send([paid_dead, paid_alive, waiting_dead])
    office = Office(central, tmp_path)
    office.registration_file([paid_dead, paid_alive])
    office.bpjs_list([(paid_dead["nik"], "25012340001", "Aktif"),
                      (paid_alive["nik"], "25012340002", "Aktif")])
    assert {paid_dead["nik"], paid_alive["nik"]} <= office.payment_list()[0]
    url = serve_people([{**p, "status": "deceased"} for p in (paid_dead, paid_alive, waiting_dead)])
    for name, value in (("URL", url), ("USER_ID", "berjasa"), ("PASSWORD", "rahasia"),
                        ("HOURS", "00:00-24:00")):
        monkeypatch.setenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", value)
    assert json.loads(office.run("verify", "--json").stdout)["dukcapil"]["findings"] == 3
    found = {f["nik"]: f for f in json.loads(office.run(
        "findings", "--kind", "dukcapil_deceased", "--json").stdout)}
    paid, filters, _, _ = office.payment_list()
    assert not {paid_dead["nik"], paid_alive["nik"]} & paid and filters["held_open_finding"] == 2

    # the reviewer's step: "confirm" put the dead worker back on the payment list
    refused = office.decide(found[paid_dead["nik"]]["id"], "confirm", check=False)
    assert refused.returncode != 0 and "keputusannya sendiri" in refused.stderr
    assert "Dukcapil keliru, masih hidup: lanjutkan (continue)" in refused.stderr
    assert "Benar meninggal: hentikan (end_coverage)" in refused.stderr
    assert paid_dead["nik"] not in office.payment_list()[0]

    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    for person in (paid_dead, waiting_dead):
        card = page.split(f'id="temuan-{found[person["nik"]]["id"]}"', 1)[1].split("</article>")[0]
        assert "Benar meninggal: hentikan" in card and "Dukcapil keliru, masih hidup" in card
        assert "Identitas benar, lanjutkan" not in card
        # a registered worker cannot be sent back; a record not yet registered can (a mistyped NIK)
        assert ('value="send_back"' in card) is (person is waiting_dead)

    ended = office.decide(found[paid_dead["nik"]]["id"], "end_coverage", "Akta kematian")
    assert f"terakhir dibayar bulan {MONTH}" in ended.stdout
    office.decide(found[paid_alive["nik"]]["id"], "continue", "Dukcapil keliru: orangnya datang")
    answer = verifier.post(f"{central.url}/verifikasi/temuan/{found[waiting_dead['nik']]['id']}",
                           timeout=10, data={"decision": "end_coverage", "reason": "Akta kematian",
                                             "csrf_token": token(verifier, central, "/verifikasi")})
    assert answer.status_code == 200 and "Keputusan atas temuan disimpan" in answer.text

    held = _statuses(central)
    assert held[paid_dead["nik"]] == ("registered", "25012340001", MONTH)  # stays in the register
    assert held[paid_alive["nik"]] == ("registered", "25012340002", None)
    assert held[waiting_dead["nik"]][0] == "rejected"  # never on a registration file
    assert {paid_dead["nik"], paid_alive["nik"]} <= office.payment_list()[0]
    assert office.payment_list(NEXT)[0] >= {paid_alive["nik"]}
    assert paid_dead["nik"] not in office.payment_list(NEXT)[0]
    told = _updates(device, "coverage_ended")
    assert list(told) == [paid_dead["id"]] and told[paid_dead["id"]]["cause"] == "deceased"
    rejected = _updates(device, "rejected")[waiting_dead["id"]]
    assert rejected["reasons"][0].startswith("verifikasi: meninggal dunia (Dukcapil)")
    registration = office.run("export", "--what", "bpjs-registration").stdout
    assert waiting_dead["nik"] not in registration


def _registered_and_in_the_cohort(central, tmp_path, seed: int, kpj: str):
    """(the office, a worker registered with ``kpj`` whom a later 2024 cohort file also
    lists, paid as cohort from 2024-01: h1 #12)."""
    person = records(1, seed=seed)[0]
    central.register().send([person])
    office = Office(central, tmp_path)
    office.registration_file([person])
    office.bpjs_list([(person["nik"], kpj, "Aktif")])
    cohort = tmp_path / "kohort.csv"
    cohort.write_text("nik;no_kpj;nama;tgl_lahir;kode_kelurahan;mulai_kepesertaan\n"
                      f"{person['nik']};{kpj};{person['full_name']};{person['birth_date']};"
                      f"{person['kelurahan_code']};2024-01\n", encoding="utf-8")
    office.run("import", "cohort", str(cohort))
    return office, person


def test_an_ended_participation_also_stops_the_workers_2024_cohort_row(central, tmp_path):
    """A registered worker whom a later cohort file also lists is paid as cohort from
    the cohort row's start (h1 #12). When a verifier ends the participation ("Bukan
    peserta lagi: hentikan iuran", a death Dukcapil reported), the cohort row stops
    too: the same NIK's participation ended, whatever list pays it, and a later BPJS
    list showing it active does not resume it (docs/central.md "When participation ends")."""
    office, person = _registered_and_in_the_cohort(central, tmp_path, 75, "25012345679")
    assert person["nik"] in office.payment_list()[0]  # once, as cohort

    office.bpjs_list([(person["nik"], "25012345679", "Keluar")])
    [finding] = office.findings().values()
    office.decide(finding["id"], "end_coverage", "BPJS: sudah keluar dari kepesertaan")
    assert _statuses(central)[person["nik"]] == ("registered", "25012345679", MONTH)
    # BPJS lists them active again (someone else pays): the city's decision stands
    office.bpjs_list([(person["nik"], "25012345679", "Aktif")])
    paid = office.payment_list(NEXT)[0]
    assert person["nik"] not in paid, "paid as cohort after the participation ended"
    assert person["nik"] in office.payment_list(MONTH)[0]  # paid through the decision's month
    # nor is the row promised to come back: it is not counted as waiting for a newer list
    office.bpjs_list([(person["nik"], "25012345679", "Keluar")])
    assert office.payment_list(NEXT)[1]["cohort_not_active_bpjs"] == 0


def test_a_verifiers_continue_pays_a_worker_the_2024_cohort_also_lists(central, tmp_path):
    """"Masih peserta aktif: tetap dibayar" on a registered worker whom the cohort also
    lists: the BPJS list still shows them inactive, so the cohort row is not paid, and
    the worker is paid under their registration instead (never both, never neither)."""
    office, person = _registered_and_in_the_cohort(central, tmp_path, 76, "25012345670")
    office.bpjs_list([(person["nik"], "25012345670", "Non Aktif")])
    [finding] = office.findings().values()
    paid, filters, _, _ = office.payment_list()
    assert person["nik"] not in paid  # held by the finding while it is open, said once
    assert (filters["held_open_finding"], filters["cohort_not_active_bpjs"]) == (1, 0)
    office.decide(finding["id"], "continue", "BPJS: masih peserta aktif, salah catat")
    paid = office.payment_list()[0]
    assert person["nik"] in paid, "the verifier said 'tetap dibayar' and nobody pays them"
