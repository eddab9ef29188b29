"""Read queries for exports, progress and the dashboard, and the export audit (SQL only).

Export queries stream (:meth:`Database.stream`): rows arrive in chunks, never as a
whole list, so a 100,000-row export keeps memory bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from central.storage.db import Database

EXPORT_COLUMNS = (
    "central_id, kelurahan_code, record_id, nik, kk_number, full_name, birth_place, birth_date,"
    " sex, address, rt, rw, mother_name, phone, occupation, work_category, monthly_income,"
    " heir_name, heir_relation, heir_phone, status, reasons, duplicate_of_kelurahan,"
    " duplicate_of_record, kpj_number, received_at, updated_at, disability, jht, eligibility,"
    " eligibility_snapshots, evaluated_at, registration_exported_at, coverage_start, coverage_end"
)
# A record looked up by the NIK of a cohort row, per cohort row: SQLite without
# statistics (central never runs ANALYZE) reads it through ``records_status``, every
# registered record for each cohort row (5 ms a row at 20,000 registered: the payment
# list of 80,000 cohort rows took some 400 s, the dashboard's first count as long), so
# on SQLite the lookup names ``records_nik`` (:func:`planned`); PostgreSQL plans it.
BY_NIK = " /*records_by_nik*/"


def planned(db: Database, sql: str) -> str:
    """``sql`` with the NIK lookups (:data:`BY_NIK`) through ``records_nik`` on SQLite."""
    return sql.replace(BY_NIK, " INDEXED BY records_nik") if db.dialect == "sqlite" else sql


# BPJS participant status values that mean "active" (as central.eligibility reads them).
ACTIVE_BPJS_STATUSES = ("aktif", "active", "a", "1", "ya", "y")


def bpjs_active(alias: str = "p") -> str:
    """SQL: the BPJS list row ``alias`` shows participation (an empty status counts as
    active), as :func:`berjasa.eligibility.is_active_status` reads it."""
    active = ", ".join(f"'{s}'" for s in ACTIVE_BPJS_STATUSES)
    return f"LOWER(COALESCE(NULLIF(TRIM({alias}.status), ''), 'aktif')) IN ({active})"


# A 2024 cohort row (``c``) whose NIK the BPJS participant list in force shows with a
# status that is not participation (Meninggal Dunia, Non Aktif, Keluar, Ditolak, ...):
# not paid until a newer list shows them active or a corrected cohort file drops them
# (docs/central.md "payment-list"). A NIK the list does not hold stays paid.
def cohort_not_active(alias: str) -> str:
    """SQL: :data:`COHORT_NOT_ACTIVE_BPJS` for the cohort row ``alias``."""
    return (f"EXISTS (SELECT 1 FROM bpjs_participants p WHERE p.nik = {alias}.nik"
            f" AND NOT ({bpjs_active('p')}))")


COHORT_NOT_ACTIVE_BPJS = cohort_not_active("c")
# A 2024 cohort row (``c``) of a NIK whose participation a verifier ended before the
# month ``?`` (a registered record of that NIK with ``coverage_end`` before it: "Bukan
# peserta lagi: hentikan iuran", a death Dukcapil reported; docs/central.md "When
# participation ends"). The NIK's participation ended whichever list paid it, and a
# later BPJS list showing it active does not resume it; so the cohort row stops too
# (it paid the worker since the cohort row's start, h1 #12). An end before the record's
# own start (never a participant under that registration: BPJS refused it) says
# nothing of the cohort's participation and stops nothing here.
COHORT_PARTICIPATION_ENDED = (
    f"EXISTS (SELECT 1 FROM records e{BY_NIK} WHERE e.nik = c.nik AND e.status = 'registered'"
    " AND e.coverage_end IS NOT NULL AND e.coverage_end >= e.coverage_start"
    " AND e.coverage_end < ?)")


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


# A registered worker with an open verification finding waits off the payment list,
# whatever the finding's kind (a kind added later holds too), except a kind listed here:
# one whose NIK must be corrected at BPJS is a participant under their KPJ whatever NIK
# BPJS holds (docs/central.md "What a fix may change").
FINDINGS_NOT_HOLDING_PAYMENT = ("bpjs_nik_changed",)
_HOLDS_PAYMENT = ("f.status = 'open' AND f.kind NOT IN ("
                  + ", ".join(f"'{kind}'" for kind in FINDINGS_NOT_HOLDING_PAYMENT) + ")")
NO_FINDING_HOLDING_PAYMENT = (
    f"NOT EXISTS (SELECT 1 FROM findings f WHERE f.central_id = r.central_id AND {_HOLDS_PAYMENT})")
# A 2024 cohort row (``c``) whose NIK's registered record an open finding holds off the
# payment list: one person, held as one. The cohort row pays a registered worker the
# cohort also lists (h1 #12), so without this a death Dukcapil reported on the
# registration, waiting for a verifier, held the record while its cohort row paid on.
COHORT_HELD = (f"EXISTS (SELECT 1 FROM records h{BY_NIK} WHERE h.nik = c.nik"
               " AND h.status = 'registered' AND EXISTS (SELECT 1 FROM findings f"
               f" WHERE f.central_id = h.central_id AND {_HOLDS_PAYMENT}))")

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


# A registered new worker due in month ``?`` (YYYY-MM, three times): coverage started by
# then and had not ended before it (a verifier found the participation ended: paid up
# to ``coverage_end``), and not paid that month as a 2024 cohort worker. A NIK in both is paid once, as cohort,
# but only from the cohort row's own start month: before it, BPJS covers the worker
# under the program's registration (its KPJ, its coverage month), so the city pays
# for them as a new worker (docs/central.md "payment-list"). A cohort row the BPJS list
# shows not participating is not paid (:data:`COHORT_NOT_ACTIVE_BPJS`): then the
# registration is what pays them, as its own finding decides (a verifier's "Masih
# peserta aktif: tetap dibayar" pays them; before, neither the row nor the record did).
REGISTERED_DUE = (
    "r.status = 'registered' AND r.coverage_start IS NOT NULL AND r.coverage_start <= ?"
    " AND (r.coverage_end IS NULL OR r.coverage_end >= ?)"
    " AND NOT EXISTS (SELECT 1 FROM cohort c2 WHERE c2.nik = r.nik AND c2.coverage_start <= ?"
    f" AND NOT {cohort_not_active('c2')})")
# A NIK with a registered record due in month ``?`` (twice), whatever holds it: its
# cohort row left off for the BPJS list's status is accounted for by that record (paid,
# or held by its finding and counted as held), not as a cohort row waiting for a list.
_REGISTERED_RECORD_DUE = (
    f"EXISTS (SELECT 1 FROM records d{BY_NIK} WHERE d.nik = c.nik AND d.status = 'registered'"
    " AND d.coverage_start IS NOT NULL AND d.coverage_start <= ?"
    " AND (d.coverage_end IS NULL OR d.coverage_end >= ?))")


# A 2024 cohort row (``c``) the list for month ``?`` (twice) pays but for the ages.
_COHORT_DUE = (f"c.coverage_start <= ? AND NOT {COHORT_NOT_ACTIVE_BPJS}"
               f" AND NOT {COHORT_PARTICIPATION_ENDED} AND NOT {COHORT_HELD}")


# A worker row (``alias``) whose age when its coverage began (the first day of
# ``coverage_start``'s month) was outside the BPU limits: under ``?`` or over ``?`` (the
# :class:`AgeWindow`'s two limits), whole years with the birthday counting, as the
# eligibility rule ``age`` reads them at registration. Judged at entry only: whether a
# participation goes on past ``age_max`` is BPJS's to say (its participant list: a
# "Non Aktif" or "Keluar" stops payment), not an unconfirmed setting's. A row without a
# well-formed birth date or coverage start is not judged here (CASE first: PostgreSQL
# casts only what the LIKEs let through).
def outside_ages(alias: str) -> str:
    """SQL (two parameters, :meth:`AgeWindow.params`): row ``alias`` began outside the ages."""
    age = (f"CAST(substr({alias}.coverage_start, 1, 4) AS INTEGER)"
           f" - CAST(substr({alias}.birth_date, 1, 4) AS INTEGER)"
           f" - CASE WHEN substr({alias}.birth_date, 6, 5)"
           f" > substr({alias}.coverage_start, 6, 2) || '-01' THEN 1 ELSE 0 END")
    return (f"(CASE WHEN {alias}.birth_date LIKE '____-__-__'"
            f" AND substr({alias}.coverage_start, 1, 7) LIKE '____-__'"
            f" THEN ({age}) NOT BETWEEN ? AND ? ELSE FALSE END)")


class AgeWindow(NamedTuple):
    """The ages (whole years) at which a participation may begin: ``age_min`` to
    ``age_max``, the eligibility parameters in force in the month paid."""

    age_min: int
    age_max: int

    def params(self) -> tuple[int, int]:
        """The two parameters of :func:`outside_ages`."""
        return self.age_min, self.age_max


def stream_payable(db: Database, month: str, ages: AgeWindow) -> Iterator[dict[str, Any]]:
    """Everyone the city pays for in ``month`` (YYYY-MM): the 2024 cohort whose
    coverage started by then, whom the BPJS list in force does not show as not
    participating (:data:`COHORT_NOT_ACTIVE_BPJS`) and whose participation no verifier
    ended before then (:data:`COHORT_PARTICIPATION_ENDED`) and whose registration no open
    finding holds (:data:`COHORT_HELD`), and registered new workers whose coverage started by
    then (a NIK the cohort pays that month is paid once, as cohort) and have no open
    verification finding holding payment; by kelurahan then NIK, streamed. ``jht`` is
    1 when the row's own flag says so or the JHT list has the NIK from ``month`` or
    earlier. Neither is paid when their age as their coverage began was outside the
    BPU limits (``ages``, :func:`outside_ages`). The service drops those whose stored
    income rule failed."""
    return db.stream(planned(
        db,
        "SELECT 'cohort' AS source, c.nik, c.kpj_number, c.full_name, c.kelurahan_code,"
        f" c.coverage_start, c.monthly_income, {_jht('c')} AS jht, NULL AS eligibility"
        f" FROM cohort c WHERE {_COHORT_DUE} AND NOT {outside_ages('c')}"
        " UNION ALL"
        " SELECT 'new' AS source, r.nik, r.kpj_number, r.full_name, r.kelurahan_code,"
        f" r.coverage_start, r.monthly_income, {_jht('r')} AS jht, r.eligibility FROM records r"
        f" WHERE {REGISTERED_DUE} AND {NO_FINDING_HOLDING_PAYMENT} AND NOT {outside_ages('r')}"
        " ORDER BY kelurahan_code, nik"),
        (month, month, month, *ages.params(), month, month, month, month, *ages.params()))


def payable_outside_ages(db: Database, month: str, ages: AgeWindow) -> int:
    """The workers :func:`stream_payable` leaves out of ``month`` for their age only
    (the cohort rows and registered workers it would pay otherwise)."""
    row = db.one(planned(db, f"SELECT (SELECT COUNT(*) FROM cohort c WHERE {_COHORT_DUE}"
                             f" AND {outside_ages('c')}) + (SELECT COUNT(*) FROM records r"
                             f" WHERE {REGISTERED_DUE} AND {NO_FINDING_HOLDING_PAYMENT}"
                             f" AND {outside_ages('r')}) AS n"),
                 (month, month, *ages.params(), month, month, month, *ages.params()))
    return int(row["n"]) if row else 0


def cohort_not_active_bpjs(db: Database, month: str) -> list[dict[str, Any]]:
    """The 2024 cohort rows due in ``month`` that :func:`stream_payable` leaves out
    because the BPJS list shows them not participating, counted by the list's status
    as written (trimmed): ``{status, n}`` rows, status order. A row whose participation
    a verifier ended is not among them (a newer list would not pay it again), nor one
    whose NIK has a registered record due that month (the record pays or is held)."""
    return db.query(planned(db, "SELECT TRIM(p.status) AS status, COUNT(*) AS n FROM cohort c"
                            " JOIN bpjs_participants p ON p.nik = c.nik"
                            f" WHERE c.coverage_start <= ? AND NOT ({bpjs_active('p')})"
                            f" AND NOT {COHORT_PARTICIPATION_ENDED} AND NOT {_REGISTERED_RECORD_DUE}"
                            " GROUP BY TRIM(p.status) ORDER BY TRIM(p.status)"), (month,) * 4)


# A registered record ``r`` whose worker is due in month ``?`` (four times), under the
# registration (its coverage months) or as the 2024 cohort row of its NIK that would
# pay them (:data:`COHORT_HELD` holds that row with the record).
_WORKER_DUE = (
    "r.status = 'registered' AND ((r.coverage_start IS NOT NULL AND r.coverage_start <= ?"
    " AND (r.coverage_end IS NULL OR r.coverage_end >= ?)) OR EXISTS (SELECT 1 FROM cohort c"
    f" WHERE c.nik = r.nik AND c.coverage_start <= ? AND NOT {COHORT_NOT_ACTIVE_BPJS}"
    f" AND NOT {COHORT_PARTICIPATION_ENDED}))")


def payment_held(db: Database, month: str) -> list[dict[str, Any]]:
    """The registered workers due in ``month`` whom an open finding keeps off the
    payment list (:data:`NO_FINDING_HOLDING_PAYMENT`, and :data:`COHORT_HELD` for the
    cohort row of their NIK): one row ``{central_id, kind}`` per record and kind of
    open finding holding it (a record may have several); a worker counts once,
    whichever of the two would have paid them."""
    return db.query(planned(db, "SELECT r.central_id, f.kind FROM records r JOIN findings f"
                            f" ON f.central_id = r.central_id WHERE {_WORKER_DUE} AND {_HOLDS_PAYMENT}"
                            " ORDER BY r.central_id, f.kind"), (month,) * 4)


def payable_with_a_failing_rule(db: Database, month: str, ages: AgeWindow) -> list[dict[str, Any]]:
    """The stored ``eligibility`` of the registered workers due in ``month`` that no
    finding holds, whose coverage began within the ``ages``, and that have a failing rule (the
    text holds ``"fail"``: registered workers nearly all pass, so this is a handful of
    rows); the service picks those whose income rule failed, which the payment list
    does not bill."""
    return db.query(f"SELECT r.eligibility FROM records r WHERE {REGISTERED_DUE}"
                    f" AND {NO_FINDING_HOLDING_PAYMENT} AND NOT {outside_ages('r')}"
                    " AND r.eligibility LIKE ?", (month, month, month, *ages.params(), '%"fail"%'))


def open_finding_kinds(db: Database, central_ids: list[int]) -> list[dict[str, Any]]:
    """``{central_id, kind}`` of every open finding of these records."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(central_ids), 5000):
        among, params = db.in_list("central_id", [int(i) for i in central_ids[start:start + 5000]],
                                   "bigint")
        out += db.query(f"SELECT central_id, kind FROM findings WHERE status = 'open' AND {among}",
                        params)
    return out


def _jht(alias: str) -> str:
    """SQL: 1 when row ``alias`` is flagged for JHT in ``?`` (a YYYY-MM parameter)."""
    return (f"CASE WHEN {alias}.jht = 1 OR EXISTS (SELECT 1 FROM jht_list j WHERE j.nik = {alias}.nik"
            " AND j.jht_from <= ?) THEN 1 ELSE 0 END")


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
