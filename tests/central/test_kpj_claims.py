"""A kelurahan's KPJ claim (sync protocol 3, ``kpj_claim``: a registered record sent
again after central was restored) at central, both backends: the claim alone never
makes anyone registered, paid, or put on a new registration file; only the BPJS
participant list showing the NIK with that very KPJ registers the record; a claim
the list contradicts, or a list newer than the claim that does not show it, is a
finding for a verifier. docs/central.md "Registrations a restore lost"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berjasa.problems import ValidationFailed
from central import verification
from central.exports import export
from central.imports import import_file
from central.recheck import recheck

from .conftest import records
from .office import signed_in

UNRELATED = "7371014501900001"  # a participant who is none of the records sent
MONTH = "2025-11"


def _call(central, fn, *args, **kwargs):
    db = central.db()
    try:
        return fn(db, *args, **kwargs)
    finally:
        db.close()


def _import(central, tmp_path: Path, kind: str, lines: list[str]) -> dict:
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _call(central, import_file, path, kind, central.data_dir, central.settings)


def _dtsen(central, tmp_path: Path, sent: list[dict]) -> None:
    _import(central, tmp_path, "dtsen", ["nik;nama;tgl_lahir;kode_kelurahan;desil", *(
        f"{r['nik']};{r['full_name']};{r['birth_date']};{r['kelurahan_code']};2" for r in sent)])


def _bpjs(central, tmp_path: Path, listed: dict[str, str]) -> dict:
    """A participant list: the unrelated participant and ``listed`` (NIK -> KPJ)."""
    rows = [f"{UNRELATED},25000000001,JKK+JKM,Aktif,2024-01",
            *(f"{nik},{kpj},JKK+JKM,Aktif,{MONTH}" for nik, kpj in listed.items())]
    return _import(central, tmp_path, "bpjs-participants",
                   ["nik,kpj_number,program,status,mulai_kepesertaan", *rows])


def _held(central, sent: list[dict]) -> dict[str, tuple]:
    rows = central.query("SELECT record_id, status, kpj_number, reasons FROM records")
    by_id = {r["record_id"]: r for r in rows}
    return {r["id"]: (by_id[r["id"]]["status"], by_id[r["id"]]["kpj_number"]) for r in sent}


def _niks(central, what: str, **filters) -> set[str]:
    result = _call(central, export, what, "csv", None, actor="operator-uji", **filters)
    lines = result.content.decode("utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(("NIK,", "NO,")))
    column = lines[header].split(",").index("NIK")
    return {line.split(",")[column] for line in lines[header + 1:] if line.split(",")[column]}


def _claim_findings(central) -> dict[int, dict]:
    rows = central.query("SELECT central_id, status, evidence FROM findings"
                         " WHERE kind = 'kpj_claim_unconfirmed' ORDER BY id")
    return {int(r["central_id"]): {**json.loads(r["evidence"]), "status": r["status"]} for r in rows}


def _central_id(central, record: dict) -> int:
    return int(central.query("SELECT central_id FROM records WHERE record_id = ?",
                             (record["id"],))[0]["central_id"])


def test_a_forged_claim_never_makes_anyone_registered(central, tmp_path):
    """A tampered laptop claims a KPJ no list shows, and another claims the KPJ the
    list shows for someone else: neither is registered, paid or put on a file; the
    list imported after the claims raises a finding on each."""
    device = central.register()
    plain, forged, borrowed = records(3, seed=41)
    _dtsen(central, tmp_path, [plain, forged, borrowed])
    _bpjs(central, tmp_path, {})  # the list in force when the claims arrive
    answers = device.send([plain, {**forged, "kpj_claim": "77777777777"},
                           {**borrowed, "kpj_claim": "25000000001"}])  # UNRELATED's KPJ
    assert [a["result"] for a in answers] == ["accepted"] * 3
    held = _held(central, [plain, forged, borrowed])
    assert held == {r["id"]: ("accepted", None) for r in (plain, forged, borrowed)}
    assert _niks(central, "bpjs-registration", marks=False) == {plain["nik"]}
    result = _call(central, export, "bpjs-registration", "csv", None, actor="operator-uji",
                   marks=False)
    assert result.filters["held_kpj_claims"] == 2

    _bpjs(central, tmp_path, {})
    assert _held(central, [forged, borrowed]) == {r["id"]: ("accepted", None)
                                                  for r in (forged, borrowed)}
    findings = _claim_findings(central)
    forged_finding = findings[_central_id(central, forged)]
    assert (forged_finding["kpj_claim"], forged_finding["listed"]) == ("77777777777", False)
    assert forged_finding["kpj_listed_for"] is None
    borrowed_finding = findings[_central_id(central, borrowed)]
    assert borrowed_finding["kpj_listed_for"] == UNRELATED
    assert not {forged["nik"], borrowed["nik"]} & _niks(central, "payment-list", month=MONTH,
                                                        draft=True)
    assert not {forged["nik"], borrowed["nik"]} & _niks(central, "bpjs-registration")
    # importing the same list again changes nothing and raises nothing twice
    _bpjs(central, tmp_path, {})
    assert len(_claim_findings(central)) == 2

    # the verifier: the claim is wrong, go on as a new enrollment (the next file)
    forged_id = central.query("SELECT id FROM findings WHERE central_id = ?",
                              (_central_id(central, forged),))[0]["id"]
    outcome = _call(central, verification.decide_finding, forged_id, "confirm",
                    "BPJS: KPJ ini tidak ada", "vera")
    assert outcome["kpj_claim_cleared"] is True
    assert forged["nik"] in _niks(central, "bpjs-registration", marks=False)
    # a claim cannot be sent back: the kelurahan holds it registered
    borrowed_id = central.query("SELECT id FROM findings WHERE central_id = ?",
                                (_central_id(central, borrowed),))[0]["id"]
    with pytest.raises(ValidationFailed):
        _call(central, verification.decide_finding, borrowed_id, "send_back", "cek", "vera")
    _call(central, verification.decide_finding, borrowed_id, "reject", "KPJ milik orang lain",
          "vera")
    assert _held(central, [borrowed]) == {borrowed["id"]: ("rejected", None)}
    assert central.query("SELECT count(*) AS n FROM records WHERE status = 'registered'")[0]["n"] == 0


def test_a_claim_the_list_contradicts_waits_for_a_verifier_not_rejected(central, tmp_path):
    """The list shows the NIK active under another KPJ: not "already a participant"
    on the list's word (a record without a claim is), not registered on the claim's."""
    device = central.register()
    claimed, unclaimed = records(2, seed=43)
    _dtsen(central, tmp_path, [claimed, unclaimed])
    device.send([{**claimed, "kpj_claim": "90000000001"}, unclaimed])
    _bpjs(central, tmp_path, {claimed["nik"]: "90000000002", unclaimed["nik"]: "90000000003"})
    assert _held(central, [claimed, unclaimed]) == {claimed["id"]: ("accepted", None),
                                                    unclaimed["id"]: ("rejected", None)}
    finding = _claim_findings(central)[_central_id(central, claimed)]
    assert (finding["kpj_claim"], finding["bpjs_kpj"], finding["listed"]) == (
        "90000000001", "90000000002", True)
    assert finding["fields"][0]["field"] == "kpj_number"
    assert claimed["nik"] not in _niks(central, "payment-list", month=MONTH, draft=True)
    assert claimed["nik"] not in _niks(central, "bpjs-registration")

    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    assert "KPJ dari kelurahan tidak cocok dengan daftar peserta BPJS" in page
    assert "dengan KPJ 90000000002" in page
    # the list in force has checked it: no newer list is needed, nor counted as held
    # (a rule fails on it: it would not be on the file anyway)
    assert 'id="menunggu-bpjs"' not in page and 'id="klaim-kpj"' not in page
    # the form offers no send-back for it
    card = page.split('id="temuan-', 1)[1].split("</article>", 1)[0]
    assert 'value="send_back"' not in card and 'value="confirm"' in card
    # labelled for what they do to a claim (confirm sets it aside: a new enrollment)
    assert '<option value="confirm">Klaim KPJ keliru: daftarkan sebagai peserta baru</option>' in card
    assert '<option value="reject">Tolak data ini</option>' in card
    assert "Identitas benar, lanjutkan" not in card


def test_a_claim_the_loaded_list_confirms_is_registered_when_it_arrives(central, tmp_path):
    """A laptop that resends after the office imported the latest list: registered
    at once with the list's KPJ and start month (answer accepted, then a
    ``registered`` update, as for a registered record's fix). A claim that is not a
    KPJ at all is not kept: that record is judged as any new one."""
    device = central.register()
    confirmed, malformed = records(2, seed=47)
    _dtsen(central, tmp_path, [confirmed, malformed])
    _bpjs(central, tmp_path, {confirmed["nik"]: "90000000011", malformed["nik"]: "90000000012"})
    answers = device.send([{**confirmed, "kpj_claim": "90000000011"},
                           {**malformed, "kpj_claim": "9000-0000-12"}])
    assert answers[0]["result"] == "accepted"
    assert answers[1] == {"id": malformed["id"], "result": "rejected",
                          "reasons": ["already_bpjs_participant"]}
    assert _held(central, [confirmed]) == {confirmed["id"]: ("registered", "90000000011")}
    assert central.query("SELECT coverage_start FROM records WHERE record_id = ?",
                         (confirmed["id"],))[0]["coverage_start"] == MONTH
    kinds = [(u["kind"], u.get("kpj_number")) for u in device.updates("0").json()["updates"]
             if u["record_id"] == confirmed["id"]]
    assert kinds == [("accepted", None), ("registered", "90000000011")]
    assert confirmed["nik"] in _niks(central, "payment-list", month=MONTH, draft=True)
    assert _claim_findings(central) == {}


def test_a_list_older_than_the_claim_proves_nothing(central, tmp_path):
    """The list in force was imported before the claim arrived (a restored central's
    old list): its silence raises no finding, on arrival nor on `central recheck`;
    the record waits, counted, until a newer list decides."""
    device = central.register()
    (claimed,) = records(1, seed=53)
    _dtsen(central, tmp_path, [claimed])
    _bpjs(central, tmp_path, {})
    device.send([{**claimed, "kpj_claim": "90000000021"}])
    db = central.db()
    try:
        with db.transaction():  # as `central recheck` runs it
            db.lock_ingest()
            recheck(db, central.settings)
    finally:
        db.close()
    assert _claim_findings(central) == {}
    assert _held(central, [claimed]) == {claimed["id"]: ("accepted", None)}
    assert _call(central, verification.queue)["held_kpj_claims"] == 1
    _bpjs(central, tmp_path, {})  # newer than the claim, and still not showing it
    assert next(iter(_claim_findings(central).values()))["listed"] is False
    _bpjs(central, tmp_path, {claimed["nik"]: "90000000021"})  # BPJS's list catches up
    assert _held(central, [claimed]) == {claimed["id"]: ("registered", "90000000021")}
    finding = next(iter(_claim_findings(central).values()))
    assert finding["status"] == "decided"  # closed by the list, nothing left to decide
    assert _call(central, verification.queue)["held_kpj_claims"] == 0


def test_a_claim_the_list_contradicts_is_compared_before_a_file_central_remembers(central, tmp_path):
    """Central had put the record on a registration file before its backup (it keeps
    ``registration_exported_at``), the laptop resends it registered with its KPJ, and
    the list shows the NIK under another KPJ: a finding, not a registration with the
    list's KPJ (the claim is compared before central's memory of the file)."""
    device = central.register()
    on_file, arriving = records(2, seed=59)
    _dtsen(central, tmp_path, [on_file, arriving])
    _bpjs(central, tmp_path, {})
    device.send([on_file, arriving])
    assert _niks(central, "bpjs-registration") == {on_file["nik"], arriving["nik"]}  # marks both
    device.send([{**on_file, "kpj_claim": "90000000031"}])
    _bpjs(central, tmp_path, {on_file["nik"]: "90000000032"})
    assert _held(central, [on_file]) == {on_file["id"]: ("accepted", None)}
    finding = _claim_findings(central)[_central_id(central, on_file)]
    assert (finding["kpj_claim"], finding["bpjs_kpj"]) == ("90000000031", "90000000032")
    assert on_file["nik"] not in _niks(central, "payment-list", month=MONTH, draft=True)
    # the next list, still contradicting it: still a finding, never registered
    _bpjs(central, tmp_path, {on_file["nik"]: "90000000032"})
    assert _held(central, [on_file]) == {on_file["id"]: ("accepted", None)}
    assert len(_claim_findings(central)) == 1


def test_the_claim_hold_is_counted_like_the_others(central, tmp_path):
    """The export counts the claim per hold, only for records passing every rule (a
    claimed record with an open finding is counted under both), the verification page
    shows the same count, and the `Catatan:` line asks for the BPJS list only while a
    claim waits for a list imported after it."""
    from .test_cli import berjasa

    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    device = central.register()
    first, second, unknown = records(3, seed=61)
    _dtsen(central, tmp_path, [first, second, unknown])
    _bpjs(central, tmp_path, {})
    device.send([{**r, "kpj_claim": f"9000000005{n}"} for n, r in enumerate([first, second, unknown])])

    def exported() -> tuple[dict, str]:
        central.change("UPDATE records SET eligibility = ? WHERE nik = ?", (json.dumps(
            [{"rule": "dtsen", "result": "unknown", "reason": "belum dimuat"}]), unknown["nik"]))
        done = berjasa("central", "export", "--what", "bpjs-registration", "--output",
                       str(tmp_path / "bpjs.csv"), "--json", data_dir=central.data_dir)
        return json.loads(done.stdout.strip().splitlines()[-1])["filters"], done.stderr

    filters, said = exported()
    assert (filters["held_kpj_claims"], filters["kpj_claims_need_bpjs_list"]) == (2, 2)
    assert "Impor daftar peserta BPJS terbaru" in said or "impor daftar peserta BPJS terbaru" in said
    queue = _call(central, verification.queue)
    assert (queue["held_kpj_claims"], queue["kpj_claims_need_bpjs_list"]) == (2, 2)

    _bpjs(central, tmp_path, {})  # newer than the claims, silent: a finding on each
    filters, said = exported()
    assert (filters["held_kpj_claims"], filters["kpj_claims_need_bpjs_list"]) == (2, 0)
    assert (filters["held_open_finding"], filters["held_for_verifier"]) == (2, 2)
    assert "2 dengan temuan terbuka" in said and "daftar peserta BPJS terbaru" not in said
    assert "Catatan: 2 data tidak dimasukkan" in said
    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10).text
    assert 'id="menunggu-bpjs"' not in page and "2 data dengan klaim KPJ" in page
