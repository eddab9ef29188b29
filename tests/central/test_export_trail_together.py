"""A registration file marks its records as put on a file, which decides what the next
BPJS list means for them; the auditor reads when that happened in the trail. So the
marks, the export's `export_audit` row and its trail entry commit together: a trail
entry that cannot be written leaves no record marked (PostgreSQL: on SQLite a database
opened without its data folder still finds the trail's key beside the file)."""

from __future__ import annotations

from contextlib import closing

import pytest

from berjasa.audit import Actor
from central import downloads
from central.storage import audit as audit_store
from central.storage.db import Database

from .conftest import records
from .test_verification import PASS_ALL

OPERATOR = Actor("rina-operator", "operator", "127.0.0.1")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_marks_are_not_kept_when_the_trail_entry_cannot_be_written(central):
    central.register().send(records(3))
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    settings = dict(central.settings)
    # opened without the data folder: the trail refuses to append
    with closing(Database(central.database_url)) as keyless, pytest.raises(
            audit_store.SealKeyMissing):
        downloads.produce(keyless, "bpjs-registration", {"format": "csv"}, OPERATOR, settings)
    marked = central.query("SELECT central_id FROM records WHERE registration_exported_at IS NOT NULL")
    assert marked == [], "records marked as put on a file with no trail entry naming them"
    assert central.query("SELECT id FROM export_audit") == []

    # written whole, the marks and the entry naming each record are both there
    with closing(central.db()) as db:
        made = downloads.produce(db, "bpjs-registration", {"format": "csv"}, OPERATOR, settings)
    assert made["rows"] == 3
    assert len(central.query("SELECT central_id FROM records"
                             " WHERE registration_exported_at IS NOT NULL")) == 3
    entry = central.query("SELECT seq FROM audit_log WHERE action = 'download.bpjs-registration'")
    assert len(central.query("SELECT target FROM audit_targets WHERE seq = ?",
                             (entry[0]["seq"],))) == 3
