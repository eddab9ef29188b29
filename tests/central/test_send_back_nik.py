"""Sending a record back by its NIK (both backends, through the command and the
verifiers' page): the NIK is read as every NIK a person types (spaces are no
separators of meaning: the core's check, as the erasure and the subject's copy read
it), and a registered record is refused for what it is: registered at BPJS, with its
KPJ, and what to do instead (h1 report, defect 14)."""

from __future__ import annotations

import json

from .conftest import records
from .office import signed_in, token
from .test_cli import berjasa

KPJ = "25012345678"


def _spaced(nik: str) -> str:
    """A NIK as people write it from the KTP: four groups of four digits."""
    return " ".join(nik[i:i + 4] for i in range(0, 16, 4))


def _init(central):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    return central.data_dir


def _registered_by_the_bpjs_list(central, tmp_path, person: dict) -> None:
    """The operator's steps: DTSEN and a BPJS list that does not show the person,
    the registration file (which marks the record), then the list that shows it."""
    data = central.data_dir
    dtsen = tmp_path / "dtsen.csv"
    dtsen.write_text("nik;nama;tgl_lahir;kode_kelurahan;desil\n"
                     f"{person['nik']};{person['full_name']};{person['birth_date']};"
                     f"{person['kelurahan_code']};2\n", encoding="utf-8")
    berjasa("central", "import", "dtsen", str(dtsen), data_dir=data)
    empty = tmp_path / "bpjs-0.csv"
    empty.write_text("nik,kpj_number,program,status\n7371014501900001,25000000001,JKK+JKM,Aktif\n",
                     encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(empty), data_dir=data)
    berjasa("central", "export", "--what", "bpjs-registration", "--output",
            str(tmp_path / "daftar.csv"), data_dir=data)
    listed = tmp_path / "bpjs-1.csv"
    listed.write_text("nik,kpj_number,program,status,mulai_kepesertaan\n"
                      "7371014501900001,25000000001,JKK+JKM,Aktif,2024-01\n"
                      f"{person['nik']},{KPJ},JKK+JKM,Aktif,2026-11\n", encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), data_dir=data)
    held = central.query("SELECT status, kpj_number FROM records WHERE nik = ?", (person["nik"],))
    assert held == [{"status": "registered", "kpj_number": KPJ}]


def test_the_command_takes_a_nik_typed_with_spaces(central):
    device = central.register()
    sent = records(2)
    device.send(sent)
    data = _init(central)
    done = berjasa("central", "send-back", _spaced(sent[0]["nik"]), "--reason", "Alamat kurang",
                   "--json", data_dir=data)
    assert json.loads(done.stdout)["status"] == "sent_back"
    # a no-break space (a KTP number pasted from a document) and outer spaces too
    pasted = f"  {sent[1]['nik'][:8]}\u00a0{sent[1]['nik'][8:]} "
    assert json.loads(berjasa("central", "send-back", pasted, "--reason", "Nama ibu", "--json",
                              data_dir=data).stdout)["status"] == "sent_back"
    kinds = [u["kind"] for u in device.updates("0").json()["updates"]]
    assert kinds.count("needs_fix") == 2
    # what is not a NIK is still refused, naming the field and the reason
    for typed, said in (("7371-0155-0675-7208", "hanya boleh berisi angka"),
                        ("7371 0155 0675", "hanya 12 digit")):
        refused = berjasa("central", "send-back", typed, "--reason", "x", data_dir=data,
                          check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
        assert said in refused.stderr and "nik" in refused.stderr.lower()


def test_the_page_takes_a_nik_typed_with_spaces(central):
    device = central.register()
    sent = records(1)
    device.send(sent)
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    assert 'name="nik" inputmode="numeric" maxlength="40"' in page  # room for the spaces
    done = verifier.post(f"{central.url}/verifikasi/kirim-balik", timeout=10, data={
        "nik": _spaced(sent[0]["nik"]), "reason": "Alamat kurang lengkap",
        "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200 and "Dikirim balik ke kelurahan" in done.text
    assert central.query("SELECT kind FROM findings") == [{"kind": "sent_back"}]


def test_a_registered_record_is_refused_as_registered_with_its_kpj(central, tmp_path):
    device = central.register()
    person = records(1, seed=61)[0]
    device.send([person])
    data = _init(central)
    _registered_by_the_bpjs_list(central, tmp_path, person)

    refused = berjasa("central", "send-back", _spaced(person["nik"]), "--reason", "Alamat",
                      data_dir=data, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    line = refused.stderr.strip()
    assert "already_registered" in line and f"sudah terdaftar di BPJS dengan KPJ {KPJ}" in line
    assert "sejak 2026-11" in line and "perubahan data peserta" in line
    assert "tidak lagi aktif" not in line and person["nik"] not in line

    verifier = signed_in(central, "verifier")
    answer = verifier.post(f"{central.url}/verifikasi/kirim-balik", timeout=10, data={
        "nik": person["nik"], "reason": "Alamat",
        "csrf_token": token(verifier, central, "/verifikasi")})
    assert answer.status_code == 409
    assert f"sudah terdaftar di BPJS dengan KPJ {KPJ}" in answer.text
    assert "tidak lagi aktif" not in answer.text
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 0
    assert central.query("SELECT status FROM records") == [{"status": "registered"}]
