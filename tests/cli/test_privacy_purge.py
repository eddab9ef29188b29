"""berjasa privacy purge: the retention settings applied (rejected records long
ago, erasure traces, answered batch bodies, logs), audited, the chain intact;
the scheduled agent's daily purge runs once a day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from berjasa.database import connect
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker
from server import intake, review
from server.storage.audit import Actor, verify_chain
from sync.retention import purge_if_due
from tests.helpers import berjasa

ENUMERATOR = Actor("enumerator", "enumerator")
SUPERVISOR = Actor("supervisor", "supervisor")
OLD = "2020-01-01T00:00:00+00:00"


def test_purge_applies_retention_and_is_audited(data_dir):
    settings = load_settings(data_dir)
    faker = EnrollmentFaker(settings["kelurahan_code"], seed=3)
    conn = connect(data_dir / "kelurahan.db")
    old, recent = faker.enrollment(), faker.enrollment()
    for item in (old, recent):
        intake.create_enrollment(conn, item, ENUMERATOR, settings)
        review.review_enrollment(conn, item["id"], "reject", f"Bukan warga: {item['address']}",
                                 SUPERVISOR, settings, settings["kelurahan_code"])
    conn.execute("UPDATE enrollments SET updated_at = ? WHERE id = ?", (OLD, old["id"]))
    conn.execute("INSERT INTO sync_batches (batch_id, content_hash, record_ids, record_count, body,"
                 " headers, state, created_at, answered_at, answer) VALUES ('b1', 'h', '[]', 0,"
                 " x'28b52ffd00', '{}', 'answered', ?, ?, x'00')", (OLD, OLD))
    conn.execute("INSERT INTO sync_attempts (started_at, finished_at, trigger, result)"
                 " VALUES (?, ?, 'cli', 'ok')", (OLD, OLD))
    conn.execute("INSERT INTO login_failures (at, username, address) VALUES (?, 'x', '1.2.3.4')",
                 (OLD,))
    conn.close()
    # never purged, never synced: only a person who checked the clock lets it run
    refused = berjasa("privacy", "purge", "--json", "--data-dir", str(data_dir))
    assert refused.returncode == 1 and "retensi belum pernah berjalan" in refused.stderr
    done = berjasa("privacy", "purge", "--json", "--clock-checked", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["rejected_erased"] == 1 and counts["batch_bodies_emptied"] == 1
    assert counts["log_rows_deleted"] >= 2 and counts["policy_date"] == settings["retention_policy_date"]
    conn = connect(data_dir / "kelurahan.db")
    ids = {r[0] for r in conn.execute("SELECT id FROM enrollments")}
    assert ids == {recent["id"]}
    assert bytes(conn.execute("SELECT body FROM sync_batches").fetchone()[0]) == b""
    [entry] = conn.execute("SELECT * FROM audit_log WHERE action = 'privacy.purge'").fetchall()
    assert "2026" in entry["reason"] or settings["retention_policy_date"] in entry["reason"]
    [trace] = conn.execute("SELECT origin, sent_at, central_result FROM privacy_erasures").fetchall()
    assert trace["central_result"] == "not_sent" and trace["sent_at"]
    assert verify_chain(conn)[1] is None
    raw = (data_dir / "kelurahan.db").read_bytes()
    assert old["nik"].encode() not in raw and old["address"].encode() not in raw
    conn.close()
    # a second purge finds nothing more (and is audited too)
    again = berjasa("privacy", "purge", "--data-dir", str(data_dir))
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == "0"


def test_the_agent_purges_once_a_day(data_dir):
    settings = load_settings(data_dir)
    now = datetime.now(timezone.utc)
    conn = connect(data_dir / "kelurahan.db")
    with conn:  # a sync central accepted just now vouches for the clock (first purge)
        conn.execute("INSERT INTO sync_attempts (started_at, finished_at, trigger, result)"
                     " VALUES (?, ?, 'schedule', 'ok')", (now.isoformat(),) * 2)
    conn.close()
    assert purge_if_due(data_dir, settings, now) is not None
    assert purge_if_due(data_dir, settings, now + timedelta(hours=23)) is None
    assert purge_if_due(data_dir, settings, now + timedelta(hours=25)) is not None
    conn = connect(data_dir / "kelurahan.db")
    entries = conn.execute("SELECT actor FROM audit_log WHERE action = 'privacy.purge'").fetchall()
    conn.close()
    assert [e["actor"] for e in entries] == ["agen-sinkronisasi"] * 2
