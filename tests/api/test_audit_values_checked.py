"""What auditors are shown is checked against the sealed trail (h2's report, item 4).

The readable values beside the chain (`audit_values`) and the record history of the
review page could be edited in SQLite while `audit verify` still said intact. Now:
`audit verify` (CLI and `GET /api/v1/audit?verify=true`) re-tags every held value
and names the entry whose value was changed; the API page, `audit export
--with-values` and the review page never show a changed value as the value recorded
(they say it does not match); the review page's history is read from the sealed
trail, so an edit of `enrollment_history` changes nothing it shows, and an entry
rewritten behind the seal is marked. The trigger on `audit_values` refuses an edit."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from tests.helpers import berjasa


def submit(api, records, **overrides) -> dict:
    payload = records.enrollment(**overrides)
    answer = api("enumerator").post("/api/v1/enrollments", json=payload)
    assert answer.status_code == 201, answer.text
    return payload


@pytest.fixture
def decided(api, records, data_dir):
    """A record sent back with a reason, fixed by the enumerator, then approved over
    a warning by the other supervisor: (record, seq of the approval, seq of the edit)."""
    record = submit(api, records, occupation="Pegawai Negeri Sipil (PNS)")
    base = f"/api/v1/enrollments/{record['id']}"
    assert api("supervisor").post(f"{base}/review", json={
        "decision": "needs_fix", "reason": "Alamat kurang lengkap"}).status_code == 200
    fixed = api("enumerator").patch(base, json={"address": record["address"] + " Lr. 2"},
                                    headers={"If-Match": "2"})
    assert fixed.status_code == 200, fixed.text
    approved = api("supervisor2").post(f"{base}/review", json={
        "decision": "approve", "reason": "Honorer, bukan PNS"})
    assert approved.status_code == 200, approved.text
    seqs = dict(sql(data_dir, "SELECT action, max(seq) FROM audit_log WHERE record_id = ?"
                              " GROUP BY action", (record["id"],)))
    return record, seqs["enrollment.status"], seqs["enrollment.edit"]


def sql(folder, statement, params=(), script=False):
    conn = sqlite3.connect(folder / "kelurahan.db")
    try:
        with conn:
            if script:
                conn.executescript(statement)
                return []
            return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def forge_value(folder, seq, field, value):
    """What someone with the database file does: the trigger dropped, a value changed."""
    sql(folder, "DROP TRIGGER audit_values_no_update;"
                f"UPDATE audit_values SET new_value = '{json.dumps(value)}'"
                f" WHERE seq = {seq} AND field = '{field}';", script=True)


def test_an_edit_of_audit_values_is_refused_by_the_trigger(decided, data_dir):
    _, approval, _ = decided
    with pytest.raises(sqlite3.IntegrityError, match="written once"):
        sql(data_dir, "UPDATE audit_values SET new_value = '[]' WHERE seq = ?", (approval,))


def test_a_changed_value_fails_verify_and_is_never_shown_as_recorded(decided, data_dir, api):
    record, approval, edit = decided
    assert berjasa("audit", "verify", "--data-dir", str(data_dir)).returncode == 0
    forge_value(data_dir, approval, "overridden_warnings", [])  # "nothing was overridden"

    done = berjasa("audit", "verify", "--data-dir", str(data_dir))
    assert done.returncode == 1
    assert f"RUSAK pada entri seq={approval}" in done.stdout and "tidak cocok" in done.stdout
    assert "overridden_warnings" in done.stdout
    as_json = json.loads(berjasa("audit", "verify", "--json", "--data-dir", str(data_dir)).stdout)
    assert as_json["broken"] == {
        "seq": approval, "problem": "held value does not match the trail (overridden_warnings)"}

    auditor = api("auditor")
    page = auditor.get(f"/api/v1/audit?record_id={record['id']}&verify=true").json()
    assert page["verification"]["intact"] is False
    assert page["verification"]["broken"]["seq"] == approval
    [item] = [i for i in page["items"] if i["seq"] == approval]
    assert item["unmatched_values"] == ["overridden_warnings"]
    assert item["changes"]["overridden_warnings"][1].startswith("h1:")  # the tag, not []
    [fine] = [i for i in page["items"] if i["seq"] == edit]
    assert "unmatched_values" not in fine and fine["changes"]["address"][1].endswith("Lr. 2")

    exported = berjasa("audit", "export", "--since", "2020-01-01", "--with-values",
                       "--data-dir", str(data_dir))
    assert exported.returncode == 0, exported.stderr
    rows = {int(r["seq"]): r for r in csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")))}
    assert rows[approval]["held_mismatch"] == "overridden_warnings"
    assert "overridden_warnings" not in rows[approval]["held_values"]
    assert rows[approval]["held_reason"] == "Honorer, bukan PNS"  # its other values still show
    assert rows[edit]["held_mismatch"] == "" and "Lr. 2" in rows[edit]["held_values"]

    review = auditor.get(f"/enrollments/{record['id']}").text
    history = review.split("<h2>Riwayat</h2>", 1)[1].split("</section>", 1)[0]
    assert "Peringatan dikesampingkan: nilai tidak cocok dengan jejak audit" in history
    assert "Nilai yang tersimpan tidak cocok dengan jejak audit" in history
    assert "0 peringatan" not in history


def test_a_changed_reason_is_caught_too(decided, data_dir, api):
    record, approval, _ = decided
    forge_value(data_dir, approval, "_reason", "Sudah dicek lurah")
    assert berjasa("audit", "verify", "--data-dir", str(data_dir)).returncode == 1
    history = api("auditor").get(f"/enrollments/{record['id']}").text.split("<h2>Riwayat</h2>")[1]
    assert "Sudah dicek lurah" not in history and "nilai tidak cocok dengan jejak audit" in history


def test_the_review_history_is_the_sealed_trail_with_its_creation_line(decided, data_dir, api):
    record, approval, _ = decided
    # who approved, as the history table says it: edited by hand
    sql(data_dir, "UPDATE enrollment_history SET changed_by = 'pengawas-palsu'"
                  " WHERE enrollment_id = ? AND action = 'approve'", (record["id"],))
    page = api("auditor").get(f"/enrollments/{record['id']}").text
    history = page.split("<h2>Riwayat</h2>", 1)[1].split("</section>", 1)[0]
    assert "pengawas-palsu" not in history and "<td>supervisor2</td>" in history
    lines = history.split("<tr")[2:]  # after the heading row
    assert [line.split("</td><td>")[2].split("</td>")[0] for line in lines] == [
        "Dicatat", "Perlu perbaikan", "Diubah", "Disetujui"]
    assert "<td>enumerator</td>" in lines[0] and "WITA" in lines[0]
    assert "Alamat kurang lengkap" in lines[1] and "Lr. 2" in lines[2]
    # an entry rewritten behind its seal (triggers dropped, hash recomputed) is marked
    from berjasa.audit import entry_hash

    [entry] = sql(data_dir, "SELECT seq, at, actor, role, action, record_id, changes, reason,"
                            " address, prev_hash FROM audit_log WHERE seq = ?", (approval,))
    names = ("seq", "at", "actor", "role", "action", "record_id", "changes", "reason",
             "address", "prev_hash")
    forged = {**dict(zip(names, entry)), "actor": "pengawas-palsu"}
    sql(data_dir, "DROP TRIGGER audit_log_no_update;"
                  f"UPDATE audit_log SET actor = 'pengawas-palsu', entry_hash = '{entry_hash(forged)}'"
                  f" WHERE seq = {approval};", script=True)
    history = api("auditor").get(f"/enrollments/{record['id']}").text.split("<h2>Riwayat</h2>")[1]
    assert f"Entri jejak audit ini (seq {approval}) tidak cocok dengan segelnya" in history


# The record history the API, the phone and a person's copy of their data read
# (`enrollment_history`) is checked by `audit verify` against the sealed trail: each
# row against the entry written with it (docs/audit-chain.md "The record history").
HISTORY_EDITS = {
    "approver": (("UPDATE enrollment_history SET changed_by = 'pengawas-palsu'"
                 " WHERE enrollment_id = :id AND action = 'approve'"), "status", "changed_by"),
    "verb": (("UPDATE enrollment_history SET action = 'reject', new_values ="
             " json_set(new_values, '$.status', 'rejected') WHERE enrollment_id = :id"
             " AND action = 'approve'"), "status", "action, new_values.status"),
    "old_address": (("UPDATE enrollment_history SET old_values = json_set(old_values, '$.address',"
                    " 'Jl. Lain') WHERE enrollment_id = :id AND action = 'edit'"), "edit",
                    "old_values.address"),
    "reason": (("UPDATE enrollment_history SET reason = 'Sudah lengkap' WHERE enrollment_id = :id"
               " AND action = 'needs_fix'"), "needs_fix", "reason"),
    "time": (("UPDATE enrollment_history SET changed_at = '2025-01-01T00:00:00.000000+00:00'"
             " WHERE enrollment_id = :id AND action = 'approve'"), "status", "changed_at"),
}


@pytest.mark.parametrize("edit", HISTORY_EDITS, ids=list(HISTORY_EDITS))
def test_an_edit_of_the_record_history_fails_verify_naming_what_differs(decided, data_dir, edit):
    record, approval, changed_by_edit = decided
    assert berjasa("audit", "verify", "--data-dir", str(data_dir)).returncode == 0
    statement, which, named = HISTORY_EDITS[edit]
    sql(data_dir, statement, {"id": record["id"]})
    seqs = dict(sql(data_dir, "SELECT action, min(seq) FROM audit_log WHERE record_id = ?"
                              " GROUP BY action", (record["id"],)))
    seq = {"status": approval, "edit": changed_by_edit, "needs_fix": seqs["enrollment.status"]}[which]

    done = berjasa("audit", "verify", "--data-dir", str(data_dir))
    assert done.returncode == 1, done.stdout
    assert f"RUSAK pada entri seq={seq}" in done.stdout and f"({named})" in done.stdout
    assert "riwayat data" in done.stdout
    as_json = json.loads(berjasa("audit", "verify", "--json", "--data-dir", str(data_dir)).stdout)
    assert as_json["broken"] == {"seq": seq, "problem":
                                 f"record history does not match the trail ({named})"}
    for said in (done.stdout + done.stderr, json.dumps(as_json)):
        assert record["nik"] not in said and record["full_name"] not in said


def test_a_deleted_or_added_history_row_fails_verify(decided, data_dir):
    record, approval, _ = decided
    sql(data_dir, "INSERT INTO enrollment_history (enrollment_id, version, status, changed_at,"
                  " changed_by, action, old_values, new_values, reason) SELECT enrollment_id,"
                  " version + 1, 'approved', changed_at, 'supervisor2', 'approve', '{}', '{}', NULL"
                  " FROM enrollment_history WHERE enrollment_id = ? ORDER BY id DESC LIMIT 1",
                  (record["id"],))
    [(added,)] = sql(data_dir, "SELECT max(id) FROM enrollment_history")
    as_json = json.loads(berjasa("audit", "verify", "--json", "--data-dir", str(data_dir)).stdout)
    assert as_json["broken"] == {"seq": approval, "problem":
                                 f"record history row without its trail entry (history id={added})"}

    sql(data_dir, "DELETE FROM enrollment_history WHERE id = ?", (added,))
    assert berjasa("audit", "verify", "--data-dir", str(data_dir)).returncode == 0
    sql(data_dir, "DELETE FROM enrollment_history WHERE id = ?", (added - 1,))  # the approval
    as_json = json.loads(berjasa("audit", "verify", "--json", "--data-dir", str(data_dir)).stdout)
    assert as_json["broken"] == {"seq": approval, "problem": "record history row missing (deleted?)"}
