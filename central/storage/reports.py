"""Read queries for exports, progress and the dashboard, and the export audit (SQL only).
The payment list's queries (who is paid in a month, who is held off it) are
:mod:`central.storage.payments`.

Export queries stream (:meth:`Database.stream`): rows arrive in chunks, never as a
whole list, so a 100,000-row export keeps memory bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from central.storage.db import Database

EXPORT_COLUMNS = (
    "central_id, kelurahan_code, record_id, nik, kk_number, full_name, birth_place, birth_date,"
    " sex, address, rt, rw, mother_name, phone, occupation, work_category, monthly_income,"
    " heir_name, heir_relation, heir_phone, status, reasons, duplicate_of_kelurahan,"
    " duplicate_of_record, kpj_number, received_at, updated_at, disability, jht, eligibility,"
    " eligibility_snapshots, evaluated_at, registration_exported_at, coverage_start, coverage_end"
)

# BPJS participant status values that mean "active" (as central.eligibility reads them).
ACTIVE_BPJS_STATUSES = ("aktif", "active", "a", "1", "ya", "y")


def bpjs_active(alias: str = "p") -> str:
    """SQL: the BPJS list row ``alias`` shows participation (an empty status counts as
    active), as :func:`berjasa.eligibility.is_active_status` reads it."""
    active = ", ".join(f"'{s}'" for s in ACTIVE_BPJS_STATUSES)
    return f"LOWER(COALESCE(NULLIF(TRIM({alias}.status), ''), 'aktif')) IN ({active})"


def records_for_export(db: Database, active_only: bool) -> list[dict[str, Any]]:
    """Records in central_id order; only accepted/registered when ``active_only``
    (small lists: the dashboard and tests; exports use :func:`stream_records`)."""
    # An erased record leaves every export, `--what all` included (docs/privacy.md).
    where = (" WHERE status IN ('accepted', 'registered')" if active_only
             else " WHERE status <> 'erased'")
    return db.query(f"SELECT {EXPORT_COLUMNS} FROM records{where} ORDER BY central_id")


def stream_records(db: Database, statuses: tuple[str, ...] | None = None) -> Iterator[dict[str, Any]]:
    """Every record held (or those with one of ``statuses``), central_id order,
    streamed; an erased record is never among them (it leaves every export)."""
    where, params = " WHERE status <> 'erased'", []
    if statuses:
        where = f" WHERE status IN ({', '.join('?' * len(statuses))})"
        params = list(statuses)
    return db.stream(f"SELECT {EXPORT_COLUMNS}, {JHT_FROM.format(alias='records')} FROM records{where}"
                     " ORDER BY central_id", params)


# The month the JHT list pays a record's JHT from (NULL: not listed), as column jht_from.
JHT_FROM = "(SELECT j.jht_from FROM jht_list j WHERE j.nik = {alias}.nik) AS jht_from"


# What holds a record off the BPJS registration file until a verifier decides
# (design.md: "a record with an open finding stays off the registration file until a
# verifier decides"; a likely-duplicate pair is a verifier's to decide as well, and
# both its records waiting keeps one person from being registered, and paid, twice).
# Each is one uncorrelated set (built once per query and hashed), never a lookup per
# record. The export counts the records each one holds back (``held_<name>``).
REGISTRATION_HOLDS = {
    "open_finding": "r.central_id IN (SELECT f.central_id FROM findings f WHERE f.status = 'open')",
    "open_pair": ("r.central_id IN (SELECT d.central_id_a FROM duplicate_flags d"
                  " WHERE d.decided_at IS NULL UNION SELECT d.central_id_b FROM duplicate_flags d"
                  " WHERE d.decided_at IS NULL)"),
    # its kelurahan says BPJS registered it (a registration a restore lost): the BPJS
    # list decides (central/recheck.py) or a verifier, never a second registration
    "kpj_claims": "r.kpj_claim IS NOT NULL",
}
# The holds a verifier's decision lifts (``held_for_verifier``); the KPJ claim waits
# for the BPJS list first (docs/central.md "Registrations a restore lost").
VERIFIER_HOLDS = ("open_finding", "open_pair")


def registration_exclusions() -> list[str]:
    """SQL conditions (on ``records r``) a record must meet to go on the BPJS
    registration file, besides passing every rule (checked by the service on the
    stored eligibility) and besides :data:`REGISTRATION_HOLDS`. The one place to add
    a condition (one a verifier's decision lifts goes in REGISTRATION_HOLDS instead,
    so the export counts the records it holds back)."""
    return [
        "r.status = 'accepted'",                       # not registered, duplicate, rejected, erased
        "(r.kpj_number IS NULL OR r.kpj_number = '')",  # BPJS has not given a KPJ yet
        "r.eligibility IS NOT NULL",                   # evaluated (NULL = not yet: not passing)
        # BPJS does not list the NIK as an active participant (whatever the stored rule says).
        f"NOT EXISTS (SELECT 1 FROM bpjs_participants p WHERE p.nik = r.nik AND {bpjs_active('p')})",
        # The city already pays for the 2024 cohort: never registered twice.
        "NOT EXISTS (SELECT 1 FROM cohort c WHERE c.nik = r.nik)",
        # A row of the DTSEN extract, BPJS list or cohort names the NIK but its import
        # could not read it (whatever the stored rule says): wait for the corrected file.
        "NOT EXISTS (SELECT 1 FROM unreadable_rows u WHERE u.nik = r.nik)",
    ]


def stream_claimed_candidates(db: Database) -> Iterator[dict[str, Any]]:
    """The records :func:`stream_registration_candidates` gives that carry a KPJ claim
    (``eligibility``, ``kpj_claimed_at``): the claim hold, counted as the export counts it."""
    where = " AND ".join(registration_exclusions())
    return db.stream("SELECT r.eligibility, r.kpj_claimed_at FROM records r"
                     f" WHERE {where} AND r.kpj_claim IS NOT NULL ORDER BY r.central_id")


def stream_registration_candidates(db: Database) -> Iterator[dict[str, Any]]:
    """Records that may go on the BPJS registration file (the service still checks
    that every stored rule passes), by kelurahan then central_id, streamed; each
    with ``held_<name>`` 1 when :data:`REGISTRATION_HOLDS` ``<name>`` keeps it off
    the file for now (the service leaves it out and counts it), else 0."""
    columns = ", ".join(f"r.{c.strip()}" for c in EXPORT_COLUMNS.split(","))
    held = "".join(f", CASE WHEN {condition} THEN 1 ELSE 0 END AS held_{name}"
                   for name, condition in REGISTRATION_HOLDS.items())
    where = " AND ".join(registration_exclusions())
    return db.stream(f"SELECT {columns}, r.kpj_claimed_at, {JHT_FROM.format(alias='r')}{held}"
                     " FROM records r"
                     f" WHERE {where} ORDER BY r.kelurahan_code, r.central_id")


def mark_registration_exported(db: Database, central_ids: list[int], at: str) -> None:
    """Remember that these records were put on a registration file (first time only)."""
    for start in range(0, len(central_ids), 500):
        among, params = db.in_list("central_id", [int(i) for i in central_ids[start:start + 500]],
                                   "bigint")
        db.run(f"UPDATE records SET registration_exported_at = ? WHERE {among}"
               " AND registration_exported_at IS NULL", [at, *params])


def open_finding_kinds(db: Database, central_ids: list[int]) -> list[dict[str, Any]]:
    """``{central_id, kind}`` of every open finding of these records."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(central_ids), 5000):
        among, params = db.in_list("central_id", [int(i) for i in central_ids[start:start + 5000]],
                                   "bigint")
        out += db.query(f"SELECT central_id, kind FROM findings WHERE status = 'open' AND {among}",
                        params)
    return out


def stream_rejections(db: Database) -> Iterator[dict[str, Any]]:
    """Records central refused (rejected) or holds as duplicates, by kelurahan, streamed;
    ``same_person`` is 1 for a duplicate a verifier's pair decision made (another NIK,
    the same person as the record kept), else 0."""
    return db.stream(
        f"SELECT {EXPORT_COLUMNS}, CASE WHEN status = 'duplicate' AND EXISTS (SELECT 1 FROM"
        " duplicate_flags d WHERE (d.central_id_b = records.central_id AND d.decision = 'keep_a')"
        " OR (d.central_id_a = records.central_id AND d.decision = 'keep_b')) THEN 1 ELSE 0 END"
        " AS same_person FROM records WHERE status IN ('rejected', 'duplicate')"
        " ORDER BY kelurahan_code, central_id")


def counts_by_kelurahan(db: Database) -> dict[str, dict[str, int]]:
    """{kelurahan_code: {status: count}}, plus ``in_cohort`` and ``in_cohort_registered``:
    the active (and the registered) records whose NIK the 2024 cohort also holds (paid
    once, as cohort: progress counts them there, not again as new workers)."""
    out: dict[str, dict[str, int]] = {}
    for row in db.query("SELECT kelurahan_code, status, COUNT(*) AS n FROM records"
                        " WHERE status <> 'erased' GROUP BY kelurahan_code, status"):
        out.setdefault(row["kelurahan_code"], {})[row["status"]] = int(row["n"])
    for row in db.query("SELECT r.kelurahan_code, r.status, COUNT(*) AS n FROM records r"
                        " WHERE r.status IN ('accepted', 'registered') AND EXISTS"
                        " (SELECT 1 FROM cohort c WHERE c.nik = r.nik)"
                        " GROUP BY r.kelurahan_code, r.status"):
        into = out.setdefault(row["kelurahan_code"], {})
        into["in_cohort"] = into.get("in_cohort", 0) + int(row["n"])
        if row["status"] == "registered":
            into["in_cohort_registered"] = int(row["n"])
    return out


def cohort_by_kelurahan(db: Database) -> dict[str, int]:
    """{kelurahan_code: workers of the 2024 cohort}."""
    return {r["kelurahan_code"]: int(r["n"]) for r in db.query(
        "SELECT kelurahan_code, COUNT(*) AS n FROM cohort GROUP BY kelurahan_code")}


def active_groups(db: Database) -> list[dict[str, Any]]:
    """Active new workers (accepted or registered, not in the 2024 cohort) counted by
    kelurahan, sex, work category and disability (the JSON text as stored; the service reads it)."""
    return db.query("SELECT kelurahan_code, sex, work_category, disability, COUNT(*) AS n"
                    " FROM records r WHERE status IN ('accepted', 'registered')"
                    " AND NOT EXISTS (SELECT 1 FROM cohort c WHERE c.nik = r.nik)"
                    " GROUP BY kelurahan_code, sex, work_category, disability")


def add_export_audit(db: Database, at: str, actor: str, what: str, fmt: str, rows: int,
                     output: str, sha256: str | None = None, filters: str | None = None) -> None:
    """Who exported what, when, with which filters, and the file's SHA-256."""
    db.run("INSERT INTO export_audit (at, actor, what, format, row_count, output, sha256, filters)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (at, actor, what, fmt, rows, output, sha256, filters))


def payment_lists_of(db: Database, month: str) -> list[dict[str, Any]]:
    """The payment lists made for ``month`` (YYYY-MM, checked by the caller), oldest first:
    ``{at, actor, format, row_count, sha256, filters}`` (the caller reads ``draft``)."""
    return db.query("SELECT at, actor, format, row_count, sha256, filters FROM export_audit"
                    " WHERE what = 'payment-list' AND filters LIKE ? ORDER BY id",
                    (f'%"month": "{month}"%',))


def export_audit(db: Database) -> list[dict[str, Any]]:
    """The export audit, oldest first."""
    return db.query("SELECT * FROM export_audit ORDER BY id")


def last_batches(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    """The most recently received batches (without their answer bytes)."""
    return db.query("SELECT batch_id, kelurahan_code, record_count, received_at FROM batches"
                    " ORDER BY received_at DESC LIMIT ?", (limit,))
