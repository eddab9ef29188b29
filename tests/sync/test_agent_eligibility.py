"""The pull brings central's rule results (in Indonesian) and a re-acceptance after a
corrected snapshot back to the kelurahan (real agent, real central, both backends)."""

from __future__ import annotations

import json

from sync.agent import run_once

from .test_agent import A, h  # central, kelurahan, pg_base: tests/sync/conftest.py

RESULTS = [{"rule": "dtsen", "result": "fail", "reason": "DTSEN desil 8, di atas batas desil 5."}]


def test_eligibility_rejection_and_reacceptance_reach_the_kelurahan(central, kelurahan):
    ids = h.seed_approved(kelurahan, 2, seed=9)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    central.add_updates([
        {"kelurahan_code": A, "record_id": ids[0], "kind": "rejected", "central_status": "rejected",
         "reasons": ["dtsen_desil_above_cutoff"], "eligibility": RESULTS},
        {"kelurahan_code": A, "record_id": ids[1], "kind": "eligibility", "central_status": "accepted",
         "eligibility": RESULTS},
    ])
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    rows = {r["id"]: r for r in h.kelurahan_rows(kelurahan, "SELECT * FROM enrollments")}
    assert rows[ids[0]]["status"] == "central_rejected"
    assert json.loads(rows[ids[0]]["central_eligibility"]) == RESULTS
    assert rows[ids[1]]["status"] == "synced"  # results only, no status change
    assert json.loads(rows[ids[1]]["central_eligibility"]) == RESULTS

    central.add_updates([{"kelurahan_code": A, "record_id": ids[0], "kind": "reaccepted",
                          "central_status": "accepted", "central_id": 1, "eligibility": []}])
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok
    row = h.kelurahan_rows(kelurahan, f"SELECT status, central_status FROM enrollments WHERE id = '{ids[0]}'")[0]
    assert (row["status"], row["central_status"]) == ("synced", "accepted")
