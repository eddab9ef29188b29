"""A worker whom BPJS lists as a participant since before central ever put them on a
registration file (both backends, through `berjasa central`): the list's participation
is not the program's registration but someone else's (the worker's own, an employer's,
another payer's). design.md's contract stands (a listed NIK central put on a file
becomes `registered` with its KPJ), but the city pays from no earlier than the month of
its file, and a `bpjs_before_file` finding holds the payment until a verifier decides:
"registered by the program after all" pays from the file's month, "already a participant
paid by someone else" pays no month. Before, the worker was paid from the list's start
month (a 2019 start: every payment list from 2019 on), with nothing said.
docs/central.md "When participation ends"."""

from __future__ import annotations

import json

from .conftest import records
from .office import signed_in
from .test_participation_end import BEFORE_START, MONTH, NEXT, START, Office

OLD_START = "2019-03"


def _listed(office, tmp_path, rows: list[tuple[str, str, str]]):
    """A BPJS list of (NIK, KPJ, mulai_kepesertaan) rows, all Aktif."""
    path = tmp_path / f"peserta-awal-{len(rows)}.csv"
    path.write_text("nik,kpj_number,program,status,mulai_kepesertaan\n" + "".join(
        f"{nik},{kpj},JKK+JKM,Aktif,{start}\n" for nik, kpj, start in rows), encoding="utf-8")
    return office.run("import", "bpjs-participants", str(path))


def test_a_participant_since_before_the_file_is_not_paid_until_a_verifier_decides(central, tmp_path):
    device = central.register()
    someone_elses, ours_after_all, fresh = records(3, seed=97)
    device.send([someone_elses, ours_after_all, fresh])
    office = Office(central, tmp_path)
    office.registration_file([someone_elses, ours_after_all, fresh])
    done = _listed(office, tmp_path, [(someone_elses["nik"], "19000000001", OLD_START),
                                      (ours_after_all["nik"], "19000000002", BEFORE_START),
                                      (fresh["nik"], "26000000003", MONTH)])
    assert "2 pekerja terdaftar menurut daftar BPJS sudah menjadi peserta sebelum" in done.stdout

    held = {r["nik"]: r for r in central.query(
        "SELECT nik, status, kpj_number, coverage_start, coverage_end FROM records")}
    # the contract: registered with the list's KPJ; paid from no earlier than the month of
    # the file (Office: START, a year ago)
    assert {nik: (r["status"], r["coverage_start"]) for nik, r in held.items()} == {
        someone_elses["nik"]: ("registered", START), ours_after_all["nik"]: ("registered", START),
        fresh["nik"]: ("registered", MONTH)}
    found = {f["nik"]: f for f in json.loads(office.run(
        "findings", "--kind", "bpjs_before_file", "--json").stdout)}
    assert set(found) == {someone_elses["nik"], ours_after_all["nik"]}
    evidence = found[someone_elses["nik"]]["evidence"]
    assert (evidence["bpjs_coverage"], evidence["file_month"], evidence["bpjs_kpj"]) == (
        OLD_START, START, "19000000001")

    paid, filters, stderr, _ = office.payment_list()
    assert paid == {fresh["nik"]}, "paid as the program's although BPJS lists them since before"
    assert filters["held_finding_bpjs_before_file"] == 2
    assert "[bpjs_before_file]" in stderr
    assert office.payment_list("2019-05")[0] == set()

    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10).text
    card = page.split(f'id="temuan-{found[someone_elses["nik"]]["id"]}"', 1)[1].split("</article>")[0]
    assert f"sebagai peserta sejak <strong>{OLD_START}</strong>" in card and "KPJ 19000000001" in card
    assert "Sudah peserta sebelumnya, dibayar pihak lain: kota tidak membayar" in card
    assert "Didaftarkan lewat berkas program ini: bayar sejak bulan berkas" in card
    assert 'value="reject"' not in card and 'value="confirm"' not in card

    ended = office.decide(found[someone_elses["nik"]]["id"], "end_coverage",
                          "BPJS: peserta mandiri sejak 2019, dibayar sendiri")
    assert "belum pernah menjadi peserta" in ended.stdout
    office.decide(found[ours_after_all["nik"]]["id"], "continue",
                  "BPJS: tanggal mulai keliru, didaftarkan dari berkas kota")
    for month in (MONTH, NEXT):
        assert office.payment_list(month)[0] == {fresh["nik"], ours_after_all["nik"]}, month
