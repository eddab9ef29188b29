"""Data-subject requests under UU 27/2022 (Pelindungan Data Pribadi): export
everything the kelurahan holds about one NIK (Pasal 7), and erase it (Pasal 8, 43).

Erasure overwrites the personal fields of every record with that NIK, blanks the
values kept in the record's edit history, and moves a record that has not left the
kelurahan to ``rejected`` so it is never sent. The audit trail keeps who erased
what and why; it only ever held the NIK masked. Records already sent to central
must also be erased there; the answer says which.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from berjasa import identity
from berjasa.database import transaction, utc_now
from berjasa.problems import NotFound, ValidationFailed
from server.intake import mask_number
from server.storage import enrollments as store
from server.storage import privacy as privacy_store
from server.storage.audit import Actor, record_audit_entry

ERASED = "[dihapus]"
PERSONAL_FIELDS = ("full_name", "mother_name", "heir_name", "birth_place", "address", "phone",
                   "heir_phone", "notes", "location")
AT_CENTRAL = ("synced", "registered", "central_rejected")


def _clean_nik(nik: str) -> str:
    cleaned = "".join(str(nik).split())
    errors = [p for p in identity.check_nik(cleaned) if p.severity == "error"]
    if errors:
        raise ValidationFailed({"nik": [p.message for p in errors]},
                               {"nik": [p.code for p in errors]})
    return cleaned


def export_subject(conn: sqlite3.Connection, nik: str, actor: Actor) -> dict[str, Any]:
    """Every record, its history and its audit entries for one NIK; audited."""
    nik = _clean_nik(nik)
    records = privacy_store.enrollments_for_nik(conn, nik)
    if not records:
        raise NotFound("Tidak ada data dengan NIK ini di kelurahan ini.")
    ids = [r["id"] for r in records]
    answer = {
        "nik": nik,
        "exported_at": utc_now(),
        "records": [{**{k: r[k] for k in store.CLIENT_FIELDS},
                     **{k: r[k] for k in store.SERVER_FIELDS if k in r},
                     "history": store.history(conn, r["id"])} for r in records],
        "audit": privacy_store.audit_entries_for(conn, ids),
    }
    with transaction(conn):
        record_audit_entry(conn, actor, "privacy.export", None, {"nik": [None, mask_number(nik)],
                                                                 "records": [None, ids]})
    return answer


def erased_number(nik: str) -> str:
    """What replaces an erased NIK/KK: not the number, but unique per number so the
    one-active-NIK index still holds."""
    return "erased:" + hashlib.sha256(nik.encode()).hexdigest()[:24]


def erase_subject(conn: sqlite3.Connection, nik: str, reason: str, actor: Actor) -> dict:
    """Erase every record of one NIK; returns the ids and which are also at central."""
    nik = _clean_nik(nik)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Alasan penghapusan wajib diisi."]},
                               {"reason": ["reason_required"]})
    with transaction(conn):
        records = privacy_store.enrollments_for_nik(conn, nik)
        if not records:
            raise NotFound("Tidak ada data dengan NIK ini di kelurahan ini.")
        for record in records:
            values: dict[str, Any] = {f: (None if f in ("phone", "heir_phone", "notes", "location")
                                          else ERASED) for f in PERSONAL_FIELDS}
            values.update(nik=erased_number(nik), kk_number=erased_number(record["kk_number"]),
                          name_key="", birth_date=record["birth_date"][:4] + "-01-01",
                          warnings="[]", updated_at=utc_now(), last_edited_by=actor.username)
            if record["status"] not in AT_CENTRAL and record["status"] != "rejected":
                values.update(status="rejected",
                              review_reason=f"Dihapus atas permintaan pemilik data: {reason}")
            privacy_store.redact_enrollment(conn, record["id"], values)
            record_audit_entry(conn, actor, "privacy.erase", record["id"],
                               {"nik": [mask_number(nik), "erased"],
                                "status": [record["status"], values.get("status",
                                                                        record["status"])]},
                               reason)
    return {"erased": [r["id"] for r in records],
            "also_at_central": [r["id"] for r in records if r["status"] in AT_CENTRAL]}
