"""Likely-duplicate candidates (SQL only): the active records central's
likely-duplicate check compares a batch's records with.

:func:`likely_duplicate_candidates` narrows them by index: born the same day with the
same KK, or sharing a word of the name key (``record_name_words``, which
:func:`central.storage.records.add_name_words` keeps beside the records), instead of
everyone born that day (:func:`active_by_birth_date`, kept as its reference).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from central.storage.db import Database
from central.storage.records import ACTIVE


def active_by_birth_date(db: Database, birth_dates: list[str],
                         other_than: str | None = None) -> list[dict]:
    """Active records born on any of these dates (in kelurahan other than
    ``other_than`` when given): every candidate the likely-duplicate check could
    flag, and many more (the full scan that :func:`likely_duplicate_candidates`
    replaced; kept as its reference in tests)."""
    dates = sorted({d for d in birth_dates if d})
    if not dates:
        return []
    among, params = db.in_list("birth_date", dates)
    elsewhere, other = (" AND kelurahan_code <> ?", [other_than]) if other_than else ("", [])
    return db.query(f"SELECT {_CANDIDATE_COLUMNS} FROM records WHERE status IN ('accepted', 'registered')"
                    f"{elsewhere} AND {among}", [*other, *params])


_CANDIDATE_COLUMNS = "central_id, nik, kk_number, full_name, birth_date, kelurahan_code, record_id"


def likely_duplicate_candidates(db: Database, rows: list[dict[str, Any]],
                                other_than: str | None = None,
                                excluding: Iterable[int] = ()) -> list[dict]:
    """Active records (in kelurahan other than ``other_than`` when given; any
    kelurahan by default, as central compares city-wide) but those of ``excluding``
    (central ids: the rows themselves, compared with each other by the caller) that
    :func:`central.dedupe.match_reason` could pair with one of ``rows`` (each with
    ``birth_date``, ``kk_number`` and ``name_key``): born the same day and with the
    same KK, or sharing a word of the name key, or, for a one-word name, another
    one-word name (two similar names of two or more words share a word; a one-word
    name is only similar to a one-word name). Index lookups through
    ``record_name_words`` (migration 0010) instead of everyone born that day."""
    by_kk = {(row["birth_date"], row["kk_number"]) for row in rows
             if row.get("birth_date") and row.get("kk_number")}
    by_word, one_word = name_word_keys(rows)
    if not (by_kk or by_word or one_word):
        return []
    kk_pairs, kk_params = pairs_table(db, "kk", ("birth_date", "kk_number"), sorted(by_kk))
    word_pairs, word_params = pairs_table(db, "w", ("birth_date", "word"), sorted(by_word))
    dates, date_params = db.in_list("n.birth_date", sorted(one_word) or [""])
    # Two statements: the ids by index probes, then those rows by primary key. As one,
    # PostgreSQL with statistics older than the table's growth (a fast ingest between
    # two autovacuum runs) read every active record and hashed it against the ids:
    # 4 ms a batch at 10,000 records held, and growing with the table.
    ids = [row["central_id"] for row in db.query(
        f"WITH {kk_pairs}, {word_pairs}"
        " SELECT r.central_id FROM records r JOIN kk ON r.birth_date = kk.birth_date"
        " AND r.kk_number = kk.kk_number"
        " UNION SELECT n.central_id FROM record_name_words n JOIN w ON n.birth_date = w.birth_date"
        " AND n.word = w.word"
        f" UNION SELECT n.central_id FROM record_name_words n WHERE n.word_count = 1 AND {dates}",
        [*kk_params, *word_params, *date_params])]
    ids = set(ids).difference(excluding)
    if not ids:
        return []
    among, id_params = db.in_list("central_id", sorted(ids), "bigint")
    active, status_params = status_among(db, ACTIVE)
    elsewhere, other = (" AND kelurahan_code <> ?", [other_than]) if other_than else ("", [])
    return db.query(
        f"SELECT {_CANDIDATE_COLUMNS} FROM records WHERE {among}"
        f" AND {active}{elsewhere} ORDER BY central_id", [*id_params, *status_params, *other])


def status_among(db: Database, statuses: tuple[str, ...],
                 column: str = "status") -> tuple[str, list[Any]]:
    """``status`` among these, as a parameter the planner cannot read: rows already
    found by ``central_id`` are filtered, not joined with the partial index
    ``records_active_nik`` that ``status IN ('accepted', 'registered')`` written out
    matches. With statistics older than the table's growth PostgreSQL ANDed the ids
    with that whole index (every active record, 6 ms a batch at 20,000 held and
    growing with the table)."""
    return db.in_list(column, list(statuses))


def name_word_keys(rows: Iterable[dict[str, Any]]) -> tuple[set[tuple[str, str]], set[str]]:
    """What a name can be similar to, for the lookups by name word (records,
    cohort): ``(birth_date, word)`` for each word of a name of two or more words
    (a similar name shares one), and the birth dates of one-word names (similar only
    to a one-word name). Rows without a birth date or a name ask for nothing."""
    by_word, one_word = set(), set()
    for row in rows:
        date = row.get("birth_date")
        words = (row.get("name_key") or "").split()
        if not date or not words:
            continue
        if len(words) == 1:
            one_word.add(date)
        else:
            by_word.update((date, word) for word in words)
    return by_word, one_word


def pairs_table(db: Database, name: str, columns: tuple[str, str],
                pairs: list[tuple[str, str]]) -> tuple[str, list[Any]]:
    """A common table expression ``name(columns)`` holding ``pairs`` of text, and
    its parameters: two arrays unnested on PostgreSQL (one short statement, as
    :meth:`Database.in_list`), a VALUES list on SQLite. No pairs: one row of NULLs,
    which joins nothing."""
    pairs = pairs or [(None, None)]
    head = f"{name}({', '.join(columns)}) AS "
    if db.dialect == "postgresql":
        return (head + "(SELECT * FROM unnest(?::text[], ?::text[]))",
                [[a for a, _ in pairs], [b for _, b in pairs]])
    return (head + f"(VALUES {', '.join(['(?, ?)'] * len(pairs))})",
            [value for pair in pairs for value in pair])
