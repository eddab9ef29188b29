"""The verifiers' page (both backends): the queue with both sides, decisions by a
verifier (written to the trail), the auditor reads but may not decide, a second
decision on the same pair is refused with a clear line, send-back from the page."""

from __future__ import annotations

from .conftest import KELURAHAN_A, flagged_pair, records
from .office import signed_in, token


def _pair(central):
    return flagged_pair(central)[2:]


def test_verifier_decides_a_pair_on_the_page_once(central):
    first, _second, pair = _pair(central)
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10)
    assert page.status_code == 200
    assert "Muh. Ridwan Daeng Tompo" in page.text and "MUHAMMAD RIDWAN DG. TOMPO" in page.text
    year, month, day = first["birth_date"].split("-")
    assert page.text.count(f"<td>{day}-{month}-{year}</td>") == 2  # both sides, as 07-03-1990
    assert f"<td>Bontorannu ({KELURAHAN_A})</td>" in page.text
    assert page.text.count("<td>diterima</td>") == 2 and "<td>accepted</td>" not in page.text
    # no decision is chosen for the verifier: the form asks for one
    assert '<select name="decision" required><option value="" selected disabled>' in page.text
    url = f"{central.url}/verifikasi/pasangan/{pair['central_id_a']}/{pair['central_id_b']}"
    form = {"decision": "different", "reason": "Kembar <b>beda</b> NIK",
            "csrf_token": token(verifier, central, "/verifikasi")}
    unchosen = verifier.post(url, data={**form, "decision": ""}, timeout=10)
    assert "Pilih salah satu keputusan: Sama orang, pertahankan A (keep_a);" in unchosen.text
    assert not central.query(
        "SELECT decision FROM duplicate_flags WHERE decision IS NOT NULL")
    done = verifier.post(url, data=form, timeout=10)
    assert done.status_code == 200 and "Keputusan atas pasangan disimpan" in done.text
    again = verifier.post(url, data={**form, "decision": "keep_a"}, timeout=10)
    assert "Sudah diputuskan oleh verifier-uji (" in again.text  # who decided, and when
    stored = central.query("SELECT decision, decided_by FROM duplicate_flags")[0]
    assert stored == {"decision": "different", "decided_by": "verifier-uji"}
    trail = central.query("SELECT actor, role, action FROM audit_log WHERE action LIKE ?",
                          ("decision.%",))
    assert trail == [{"actor": "verifier-uji", "role": "verifier", "action": "decision.pair.different"}]
    # the auditor's page: the role in words, the other record of the pair; the reason
    # stays with the pair (it may name the person: never in the immutable chain) and
    # is shown beside the entry, escaped
    shown = signed_in(central, "auditor").get(f"{central.url}/audit?action=decision.pair.different",
                                             timeout=10).text
    row = shown.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "<td>Verifikator</td>" in row and '<span class="name">other</span>: 73.71.02.1001/' in row
    assert ('<span class="name">alasan keputusan</span>: Kembar &lt;b&gt;beda&lt;/b&gt; NIK'
            in row), row
    assert "<b>beda</b>" not in row
    assert not central.query("SELECT seq FROM audit_log WHERE changes LIKE ? OR reason LIKE ?",
                             ("%Kembar%", "%Kembar%"))


def test_auditor_reads_but_may_not_decide(central):
    _, _, pair = _pair(central)
    auditor = signed_in(central, "auditor")
    page = auditor.get(f"{central.url}/verifikasi", timeout=10)
    assert page.status_code == 200 and "Simpan keputusan" not in page.text
    refused = auditor.post(f"{central.url}/verifikasi/pasangan/{pair['central_id_a']}/"
                           f"{pair['central_id_b']}", timeout=10,
                           data={"decision": "keep_a", "reason": "x",
                                 "csrf_token": token(auditor, central, "/verifikasi")})
    assert refused.status_code == 403
    operator = signed_in(central, "operator")
    assert operator.get(f"{central.url}/verifikasi", timeout=10).status_code == 403
    assert central.query("SELECT decided_at FROM duplicate_flags")[0]["decided_at"] is None


def test_send_back_from_the_page_and_409_as_a_clear_line(central):
    device = central.register()
    sent = records(1)
    device.send(sent)
    verifier = signed_in(central, "verifier")
    form = {"nik": sent[0]["nik"], "reason": "Alamat kurang lengkap",
            "csrf_token": token(verifier, central, "/verifikasi")}
    done = verifier.post(f"{central.url}/verifikasi/kirim-balik", data=form, timeout=10)
    assert "Dikirim balik ke kelurahan" in done.text
    assert "Dikirim balik ke kelurahan untuk diperbaiki" in done.text  # the open finding listed
    again = verifier.post(f"{central.url}/verifikasi/kirim-balik", data=form, timeout=10)
    assert "sudah dikirim balik" in again.text
    empty = verifier.post(f"{central.url}/verifikasi/kirim-balik", timeout=10,
                          data={**form, "reason": "  "})
    assert "Alasan wajib diisi" in empty.text
    kinds = [u["kind"] for u in device.updates("0").json()["updates"]]
    assert kinds.count("needs_fix") == 1


def test_verifier_forms_refuse_a_missing_or_forged_csrf_token(central):
    device = central.register()
    sent = records(1)
    device.send(sent)
    verifier = signed_in(central, "verifier")
    for forged in (None, "palsu-" + "x" * 40):
        body = {"nik": sent[0]["nik"], "reason": "x"}
        if forged:
            body["csrf_token"] = forged
        answer = verifier.post(f"{central.url}/verifikasi/kirim-balik", data=body, timeout=10,
                               allow_redirects=False)
        assert answer.status_code == 400
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 0


def test_dtsen_finding_side_by_side_in_indonesian(central, tmp_path):
    """The evidence table names each element and its result in Bahasa Indonesia,
    the record's value beside DTSEN's, both escaped."""
    from .test_verification import _import_dtsen

    device = central.register()
    sent = records(1)
    _import_dtsen(central, tmp_path, [(sent[0]["nik"], sent[0]["kk_number"], "Abdul <b>Kadir</b>",
                                       sent[0]["birth_date"], KELURAHAN_A, 2)])
    device.send(sent)
    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10)
    assert page.status_code == 200
    rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert '<th scope="row">Nama lengkap</th>' in rows and "Tanggal lahir" in rows
    assert "Kelurahan</th>" in rows
    assert "full_name" not in rows and "birth_date" not in rows
    assert "Tidak sama" in rows and "Abdul &lt;b&gt;Kadir&lt;/b&gt;" in rows
    # dates and kelurahan as the kelurahan pages show them
    year, month, day = sent[0]["birth_date"].split("-")
    assert rows.count(f"<td>{day}-{month}-{year}</td>") == 2 and sent[0]["birth_date"] not in rows
    assert "(kelurahan Bontorannu (73.71.01.1001), versi" in page.text
    assert rows.count("<td>Bontorannu (73.71.01.1001)</td>") == 2


def test_queue_counts_every_open_finding_beyond_what_it_shows(central, monkeypatch):
    """More send-backs waiting than the page lists: the heading counts them all and
    says only the oldest are shown (a verifier must not think the queue is done)."""
    from central import verification

    monkeypatch.setattr(verification, "QUEUE_LIMIT", 2)
    device = central.register()
    sent = records(3)
    device.send(sent)
    db = central.db()
    try:
        for person in sent:
            verification.send_back(db, person["nik"], "Periksa alamat", "vera")
    finally:
        db.close()
    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10).text
    assert "Menunggu perbaikan kelurahan (3)" in page
    assert "Ditampilkan 2 kiriman balik tertua dari 3" in page
    assert page.count('class="card finding"') == 2


def test_send_backs_waiting_never_hide_a_finding_to_decide(central, monkeypatch, tmp_path):
    """The queue was the oldest N open findings: with N send-backs waiting for a
    kelurahan, a new DTSEN mismatch was never shown and no form could be used. Now
    each list has its own limit, and a send-back can be rejected on the page."""
    from central import verification

    from .test_verification import _import_dtsen

    monkeypatch.setattr(verification, "QUEUE_LIMIT", 2)
    device = central.register()
    sent = records(4)
    device.send(sent[:3])
    db = central.db()
    try:
        for person in sent[:3]:
            verification.send_back(db, person["nik"], "Periksa alamat", "vera")
    finally:
        db.close()
    late = sent[3]
    _import_dtsen(central, tmp_path, [(late["nik"], late["kk_number"], "Abdul Kadir Tompo",
                                       late["birth_date"], KELURAHAN_A, 2)])
    device.send([late])
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    to_decide = page.split('id="temuan"', 1)[1].split('id="menunggu"', 1)[0]
    assert "Temuan untuk diputuskan (1)" in page and "Identitas tidak sama dengan DTSEN" in to_decide
    assert to_decide.count("Simpan keputusan") == 1
    waiting = page.split('id="menunggu"', 1)[1].split('id="ganda"', 1)[0]
    assert waiting.count("Tolak data ini") == 2
    # reject a send-back from the page: reason required, then the record is rejected
    finding = central.query("SELECT id, central_id FROM findings WHERE kind = 'sent_back'"
                            " ORDER BY id")[0]
    url = f"{central.url}/verifikasi/temuan/{finding['id']}"
    form = {"decision": "reject", "reason": " ", "csrf_token": token(verifier, central, "/verifikasi")}
    assert "Alasan wajib diisi" in verifier.post(url, data=form, timeout=10).text
    done = verifier.post(url, data={**form, "reason": "KTP tidak dapat ditunjukkan"}, timeout=10)
    assert "Keputusan atas temuan disimpan" in done.text
    assert central.query("SELECT status FROM records WHERE central_id = ?",
                         (finding["central_id"],))[0]["status"] == "rejected"
    auditor = signed_in(central, "auditor")
    assert "Tolak data ini" not in auditor.get(f"{central.url}/verifikasi", timeout=10).text
    refused = auditor.post(f"{central.url}/verifikasi/temuan/{finding['id'] + 1}", timeout=10,
                           data={**form, "reason": "x",
                                 "csrf_token": token(auditor, central, "/verifikasi")})
    assert refused.status_code == 403
