"""A verifier's decision that moves money, through `berjasa central decide` and the
verifiers' page on both backends (h3 report, defects 6 and 7): a worker who never
became a participant (BPJS listed them Ditolak, or not active on the list that
registered them) is paid for no month when their coverage ends, while a participation
that ended later is paid through the month of the decision; two conflicting values of
one field are refused naming it; an unknown value offers only the finding kind's own
choices; and such a decision needs a real reason (at least 5 characters that are not
spaces). docs/central.md "When participation ends"."""

from __future__ import annotations

from .conftest import records
from .office import signed_in, token
from .test_participation_end import BEFORE_START, MONTH, NEXT, Office, _statuses, registered_worker


def _post(central, verifier, finding_id: int, data: dict):
    return verifier.post(f"{central.url}/verifikasi/temuan/{finding_id}", timeout=10,
                         data={**data, "csrf_token": token(verifier, central, "/verifikasi")})


def test_ending_coverage_pays_no_month_for_a_worker_who_never_was_a_participant(central, tmp_path):
    device = central.register()
    later_out, refused = records(2, seed=83)
    device.send([later_out, refused])
    office = Office(central, tmp_path)
    office.registration_file([later_out, refused])
    office.bpjs_list([(later_out["nik"], "25010000001", "Aktif"),
                      (refused["nik"], "25010000002", "Aktif")])
    office.bpjs_list([(later_out["nik"], "25010000001", "Non Aktif"),
                      (refused["nik"], "25010000002", "Ditolak")])
    found = office.findings()
    assert {f["evidence"]["registered_now"] for f in found.values()} == {False}

    # an ended participation: paid through the month of the decision (the rule kept)
    ended = office.decide(found[later_out["nik"]]["id"], "end_coverage", "Surat BPJS 12/2026")
    assert f"terakhir dibayar bulan {MONTH}" in ended.stdout
    # BPJS refused the registration: never a participant, no month paid
    ended = office.decide(found[refused["nik"]]["id"], "end_coverage", "Surat BPJS 13/2026")
    assert "belum pernah menjadi peserta" in ended.stdout
    held = _statuses(central)
    assert held[later_out["nik"]] == ("registered", "25010000001", MONTH)
    assert held[refused["nik"]] == ("registered", "25010000002", BEFORE_START)
    assert office.payment_list()[0] == {later_out["nik"]}
    assert office.payment_list(NEXT)[0] == set()


def test_page_and_cli_refuse_conflicting_unknown_and_empty_money_decisions(central, tmp_path):
    _, office, person = registered_worker(central, tmp_path, 89, "25010000009")
    office.bpjs_list([(person["nik"], "25010000009", "Non Aktif")])
    [finding] = office.findings().values()
    verifier = signed_in(central, "verifier")

    # two conflicting decisions in one request: refused, naming the field; nothing stored
    answer = _post(central, verifier, finding["id"], {
        "decision": ["continue", "end_coverage"], "reason": "Surat BPJS 12/2026"})
    assert answer.status_code == 422 and "Kolom decision dikirim 2 kali" in answer.text
    # an unknown value: only this kind's choices are offered
    answer = _post(central, verifier, finding["id"], {"decision": "CONTINUE",
                                                      "reason": "Surat BPJS 12/2026"})
    assert answer.status_code == 422
    assert "Masih peserta aktif: tetap dibayar (continue)" in answer.text
    assert "(confirm)" not in answer.text and "(reject)" not in answer.text
    refused = office.decide(finding["id"], "CONTINUE", check=False)
    assert refused.returncode != 0 and "(confirm)" not in refused.stderr
    assert "(end_coverage)" in refused.stderr
    # a reason that is no reason, for a decision that moves money
    for reason in ("a", " a b c ", "-"):
        answer = _post(central, verifier, finding["id"], {"decision": "end_coverage",
                                                          "reason": reason})
        assert answer.status_code == 422 and "paling sedikit 5" in answer.text, reason
        refused = office.decide(finding["id"], "continue", reason, check=False)
        assert refused.returncode != 0 and "paling sedikit 5" in refused.stderr
        assert "reason" in refused.stderr or "alasan" in refused.stderr.lower()
    assert [f["id"] for f in office.findings().values()] == [finding["id"]]
    assert _statuses(central)[person["nik"]][2] is None
    # the same value twice is one value; a real reason is taken
    answer = _post(central, verifier, finding["id"], {
        "decision": ["end_coverage", "end_coverage"], "reason": "Surat BPJS 12/2026"})
    assert answer.status_code == 200 and f"iuran terakhir dibayar bulan {MONTH}" in answer.text
