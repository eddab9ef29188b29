"""The kinds of finding central raises by itself and the two acts every finding
module shares: raising one on a held record (:func:`raise_finding`) and writing a
decision or an arrival into central's trail (:func:`record_trail`). The findings
themselves are :mod:`central.findings`, :mod:`central.findings_bpjs` and
:mod:`central.findings_cohort`; SQL in central/storage/findings.py.
"""

from __future__ import annotations

from typing import Any

from berjasa.audit import Actor
from central.storage import audit as trail
from central.storage import findings as store
from central.storage.db import Database, utc_now

SYSTEM = "sistem"
# A kelurahan's KPJ claim the BPJS list does not confirm (docs/central.md,
# "Registrations a restore lost")
CLAIM_FINDING = "kpj_claim_unconfirmed"
# the reason a verifier's rejection is stored with: this prefix, then the text
VERIFIER_REJECTION = "verifikasi: "

# Dukcapil's answers about the NIK itself, whatever the other fields say
NIK_FINDINGS = frozenset({"dukcapil_deceased", "dukcapil_multiple_nik", "dukcapil_not_found",
                          "dukcapil_inactive"})
# A worker central registered whom the BPJS participant list shows with a status that is
# not participation (nonaktif, keluar, ditolak, meninggal dunia, any value not known to be
# active): docs/central.md "When participation ends". Like any open finding it holds the
# payment; a fix from the kelurahan does not close it (it is about the participant at BPJS).
STATUS_FINDING = "bpjs_not_active"
DEATH_FINDING = "dukcapil_deceased"
# A worker central registered whom the BPJS list shows as a participant since a month
# before central first put them on a registration file: someone else's participation
# (their own, an employer's, another payer's), not the program's registration
# (docs/central.md "When participation ends"); it holds the payment like any finding.
BEFORE_FILE_FINDING = "bpjs_before_file"
# The findings a verifier answers with "still a participant" or "participation ended"
PARTICIPATION_FINDINGS = frozenset({STATUS_FINDING, DEATH_FINDING, BEFORE_FILE_FINDING})
# A record accepted although its NIK was erased at its owner's request before: captured
# and consented to after the erasure (a new consent), so a verifier makes sure of it
# before the person goes on a registration file (docs/central.md "A person erased on
# request, met again"); the kelurahan's supervisor saw the same warning code.
ERASED_FINDING = "nik_erased_before"
# A record that looks like a 2024-cohort worker under another NIK (docs/central.md
# "Likely duplicates of the 2024 cohort")
COHORT_FINDING = "cohort_duplicate"


def raise_finding(db: Database, record: dict[str, Any], kind: str, source: str,
                  evidence: dict[str, Any], raised_by: str = SYSTEM,
                  at: str | None = None) -> int | None:
    """Raise one finding on a held record (nothing when one of that kind is open)."""
    return store.add_finding(db, {
        "central_id": record["central_id"], "record_version": record.get("version"),
        "kind": kind, "source": source, "evidence": evidence, "raised_at": at or utc_now(),
        "raised_by": raised_by})


def record_trail(db: Database, who: Actor, action: str, record: dict[str, Any],
                 details: dict[str, Any]) -> None:
    """A decision or an arrival in central's audit trail (issue 11): who, which record, what;
    the reason text stays with the finding (it may name the person)."""
    trail.append(db, who, action, f"{record['kelurahan_code']}/{record['record_id']}", details)
