"""The month's payment list (BPKAD, ``payment-list``) as queries (SQL only): whom the
city pays for in a month (the 2024 cohort and the registered new workers, each once),
and whom it leaves out and why: the BPJS list's status, a participation a verifier
ended, an open finding, the ages at which a coverage began.

The conditions are SQL fragments built once at import (:data:`REGISTERED_DUE`,
:data:`COHORT_HELD`, ...) so the list, its counts of those left out and the dashboard
read the same rule. Export queries stream (:meth:`Database.stream`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from central.storage.db import Database
from central.storage.reports import bpjs_active

# A record looked up by the NIK of a cohort row, per cohort row: SQLite without
# statistics (central never runs ANALYZE) reads it through ``records_status``, every
# registered record for each cohort row (5 ms a row at 20,000 registered: the payment
# list of 80,000 cohort rows took some 400 s, the dashboard's first count as long), so
# on SQLite the lookup names ``records_nik`` (:func:`planned`); PostgreSQL plans it.
BY_NIK = " /*records_by_nik*/"


def planned(db: Database, sql: str) -> str:
    """``sql`` with the NIK lookups (:data:`BY_NIK`) through ``records_nik`` on SQLite."""
    return sql.replace(BY_NIK, " INDEXED BY records_nik") if db.dialect == "sqlite" else sql


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


def _jht(alias: str) -> str:
    """SQL: 1 when row ``alias`` is flagged for JHT in ``?`` (a YYYY-MM parameter)."""
    return (f"CASE WHEN {alias}.jht = 1 OR EXISTS (SELECT 1 FROM jht_list j WHERE j.nik = {alias}.nik"
            " AND j.jht_from <= ?) THEN 1 ELSE 0 END")
