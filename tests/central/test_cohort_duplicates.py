"""A 2024-cohort worker enrolled again under another NIK (a mistyped serial) is a
likely duplicate for a verifier, not a new registration (both backends, through the
batch API, the CLI and the pages): the record gets a ``cohort_duplicate`` finding on
arrival, after a cohort import, or in ``central verify``, and stays off the BPJS
registration file until a verifier decides (h1 review #7)."""

from __future__ import annotations

import csv
import json

from .conftest import KELURAHAN_A, records
from .office import signed_in, token
from .test_cli import berjasa
from .test_registration_holds import _export_cli, _init

COHORT_KPJ = "41774444876"


def _cohort(tmp_path, people: list[dict]):
    """A cohort file (as the city office keeps it) holding ``people`` and one more."""
    path = tmp_path / "kohort.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["nik", "no_kpj", "nama", "tgl_lahir", "kode_kelurahan",
                         "mulai_kepesertaan"])
        for person in people:
            writer.writerow([person["nik"], COHORT_KPJ, person["full_name"], person["birth_date"],
                             "73.71.13.1004", "2024-03"])
        writer.writerow(["7371014101800003", "41770000001", "Orang Lain", "1980-01-01",
                         "73.71.01.1001", "2024-03"])
    return path


def _serial_typo(person: dict, base: dict) -> dict:
    """``person`` enrolled again from ``base``'s record: the name written in capitals,
    the same birth date and sex, a NIK whose last digit differs (a typing slip)."""
    last = int(person["nik"][15])
    return {**base, "full_name": person["full_name"].upper(), "sex": person["sex"],
            "birth_date": person["birth_date"],
            "nik": person["nik"][:15] + str(last + 1 if last < 9 else 8)}


def _findings(central):
    return json.loads(berjasa("central", "findings", "--kind", "cohort_duplicate", "--json",
                              data_dir=central.data_dir).stdout)


def test_a_cohort_worker_under_another_nik_waits_for_a_verifier(central, tmp_path):
    device = central.register(KELURAHAN_A)
    worker, base, someone, same_nik_base = records(4, KELURAHAN_A, seed=41)
    _init(central)
    berjasa("central", "import", "cohort", str(_cohort(tmp_path, [worker])),
            data_dir=central.data_dir)

    again = _serial_typo(worker, base)
    exact = {**same_nik_base, "nik": worker["nik"], "birth_date": worker["birth_date"],
             "sex": worker["sex"]}  # the cohort's own NIK: a rule, not a likely duplicate
    answers = device.send([again, someone, exact])
    assert [a["result"] for a in answers] == ["accepted", "accepted", "rejected"]
    assert answers[2]["reasons"] == ["already_in_cohort"]
    found = _findings(central)
    assert len(found) == 1 and found[0]["record_id"] == again["id"]
    evidence = found[0]["evidence"]
    assert evidence["source"] == "cohort" and evidence["cohort"]["kpj_number"] == COHORT_KPJ
    sides = {f["field"]: (f["record"], f["reference"], f["result"]) for f in evidence["fields"]}
    assert sides["nik"] == (again["nik"], worker["nik"], "different")
    assert sides["birth_date"][2] == "same" and sides["full_name"][2] in ("same", "variant")

    niks, said = _export_cli(central)
    assert niks == {someone["nik"]} and "1 dengan temuan terbuka" in said

    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    card = page[page.index(f'id="temuan-{found[0]["id"]}"'):]
    card = card[:card.index("</article>")]
    assert "Kemungkinan orang yang sama dengan pekerja kohort 2024" in card
    assert "Kohort 2024" in card and COHORT_KPJ in card
    assert "Sama orang dengan pekerja kohort: tolak data ini" in card
    done = verifier.post(f"{central.url}/verifikasi/temuan/{found[0]['id']}", timeout=10,
                         data={"decision": "reject", "reason": "Sama dengan kohort, NIK salah ketik",
                               "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200 and "Keputusan atas temuan disimpan" in done.text
    rejected = [u for u in device.updates("0").json()["updates"]
                if u["kind"] == "rejected" and u["record_id"] == again["id"]]
    assert rejected and rejected[0]["reasons"] == ["verifikasi: Sama dengan kohort, NIK salah ketik"]
    niks, _ = _export_cli(central)
    assert niks == {someone["nik"]}


def test_records_held_before_the_cohort_import_are_compared_too(central, tmp_path):
    """The cohort imported after the records arrived: the import raises the finding
    (and says so), ``central verify`` asks nobody twice, and a verifier's
    "different person" lets the record on the registration file."""
    device = central.register(KELURAHAN_A)
    worker, base, someone = records(3, KELURAHAN_A, seed=43)
    again = _serial_typo(worker, base)
    device.send([again, someone])
    _init(central)
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 0  # no cohort loaded

    said = berjasa("central", "import", "cohort", str(_cohort(tmp_path, [worker])),
                   data_dir=central.data_dir).stdout
    assert "1 data di pusat tampak sama dengan pekerja kohort 2024" in said
    found = _findings(central)
    assert [f["record_id"] for f in found] == [again["id"]]
    verified = json.loads(berjasa("central", "verify", "--json",
                                  data_dir=central.data_dir).stdout)
    assert verified["cohort"] == {"compared": 1, "raised": 0}
    niks, _ = _export_cli(central)
    assert niks == {someone["nik"]}

    berjasa("central", "decide", str(found[0]["id"]), "--decision", "confirm", "--reason",
            "Orang berbeda, KK dan ibu kandung lain", "--by", "vera", data_dir=central.data_dir)
    niks, _ = _export_cli(central)
    assert niks == {again["nik"], someone["nik"]}
    # decided: neither a new cohort import of the same file nor verify asks again
    berjasa("central", "import", "cohort", str(_cohort(tmp_path, [worker])),
            data_dir=central.data_dir)
    verified = json.loads(berjasa("central", "verify", "--json",
                                  data_dir=central.data_dir).stdout)
    assert verified["cohort"]["raised"] == 0
    assert _findings(central) == []
