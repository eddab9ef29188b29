"""A restore of central's database from a backup (docs/central.md "Registrations a
restore lost"; docs/operator-guide.md "Central restored from a backup").

A restored central has forgotten the registrations it made after the backup. A
protocol-3 laptop sends its registered workers back with their KPJ as a claim, but an
older laptop (protocol 2) sends them as plain records, and central cannot tell them
from new ones. So after a restore, recorded with ``berjasa central restored --reason``
(after copying the SQLite file back, or after pg_restore), the BPJS registration file
is refused until a BPJS participant list imported after the restore is loaded: that
list shows the workers registered meanwhile as participants (and registers again
those whose laptop claims the very KPJ it shows).
"""

from __future__ import annotations

from typing import Any

from berjasa import local_time
from berjasa.audit import Actor
from berjasa.erasure import erasure_reason
from central import trail
from central.storage import restores as store
from central.storage.db import Database, utc_now

# The one line the registration export (CLI and download) and the dashboard say.
REFUSAL = ("berkas pendaftaran BPJS belum bisa dibuat: pusat dipulihkan dari cadangan "
           "({at}); impor dulu daftar peserta BPJS terbaru (berjasa central import "
           "bpjs-participants BERKAS) agar pekerja yang sudah terdaftar tidak didaftarkan lagi")


def record_restore(db: Database, reason: str, actor: Actor) -> dict[str, Any]:
    """Record that central's database was restored from a backup (inside its own
    transaction); the restore row. ``reason``: what was restored, from when; checked as
    a privacy request's reason is (required, at most 500 characters, printable): 422."""
    text = erasure_reason(reason, "pemulihan")
    with db.transaction():
        row = store.add(db, utc_now(), actor.username, text)
        trail.record(db, actor, "central.restored", None,
                     {"imports_before": row.get("imports_before")}, reason=text)
    return row


def registration_blocked(db: Database) -> str | None:
    """The refusal line while the latest restore has no BPJS list imported after
    it, else None."""
    waiting = store.waiting_for_bpjs_list(db)
    if waiting is None:
        return None
    return REFUSAL.format(at=local_time.wita(waiting["recorded_at"], seconds=False))
