"""central.storage.duplicate_candidates.likely_duplicate_candidates: the narrowed
lookup (by birth date and KK, by birth date and name word, one-word names by birth date)
finds exactly the pairs the full scan of everyone born that day found, and the
name-word rows follow their record (insert, replace, erasure, migration 0010).
Both backends."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central import dedupe
from central.storage import duplicate_candidates as candidate_store
from central.storage import privacy
from central.storage import records as store
from central.storage.db import Database, migrate
from tests.central_databases import migrated
from tests.helpers import examples

HERE, OTHER, THIRD = "73.71.01.1001", "73.71.02.1001", "73.71.03.1001"
DATES = ["1980-01-01", "1991-07-17", "1980-01-02"]
KKS = [None, "", "7371011201100001", "7371011201100002"]
# spellings that name_key folds or drops, typing slips (one edit, 5+ letters),
# apostrophes, hyphens, accents and Lontara
WORDS = ["Muh.", "Muhammad", "MOH", "Moch.", "Abd.", "Abdul", "St.", "Sitti", "Siti", "Nur",
         "Nurul", "Andi", "Ridwan", "Ridwam", "Aminah", "Aminha", "Tompo", "Ali", "Arif",
         "Ngalle", "Ngallé", "Ma'ruf", "Ma’ruf", "Ma-ruf", "O'Neil", "Sukarno", "Sukarmo",
         "ᨅᨔᨚ", "Basri", "Basro"]
TITLES = ["H.", "Hj.", "Daeng", "Dg.", "Dr.", "Ir.", "haji"]
DEGREES = ["", ", S.Pd.", ", S.T.", ", SE"]

names = st.one_of(
    st.builds(lambda title, word: f"{title} {word}".strip(),  # one-word names, titles or not
              st.sampled_from(["", *TITLES]), st.sampled_from(WORDS)),
    st.builds(lambda title, words, daeng, degree:
              " ".join(filter(None, [title, *words, daeng])) + degree,
              st.sampled_from(["", *TITLES]),
              st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
              st.sampled_from(["", "Daeng Tompo", "Dg. Ngalle", "Dg."]),
              st.sampled_from(DEGREES)))


def _row(n: int, kelurahan: str, name: str, birth_date: str, kk: str | None,
         status: str = "accepted", nik: str | None = None) -> dict:
    return {"kelurahan_code": kelurahan, "record_id": f"r{n}", "batch_id": "b",
            "nik": nik or f"7371010101{n:06d}", "kk_number": kk, "full_name": name,
            "name_key": dedupe.name_key(name), "birth_date": birth_date, "status": status,
            "content_hash": "h", "received_at": "t", "updated_at": "t"}


def _pairs(db: Database, rows: list[dict], candidates: list[dict]) -> set[tuple]:
    """(incoming record, candidate, reason) as ingest flags them."""
    by_date: dict[str, list[dict]] = {}
    for candidate in candidates:
        by_date.setdefault(candidate["birth_date"], []).append(candidate)
    return {(row["record_id"], other["central_id"], reason) for row in rows
            for other, reason in dedupe.likely_duplicates(row, by_date.get(row["birth_date"], []))}


def _both(db: Database, rows: list[dict], other_than: str | None = None) -> tuple[set, set, int, int]:
    """Pairs found by the full date scan and by the narrowed lookup, and how many
    candidate rows each pulled: city-wide, as ingest asks (``other_than``: leaving
    out one kelurahan, as ingest asked before it compared a kelurahan's own records)."""
    scanned = candidate_store.active_by_birth_date(db, [r["birth_date"] for r in rows],
                                                   other_than)
    narrowed = candidate_store.likely_duplicate_candidates(db, rows, other_than)
    return _pairs(db, rows, scanned), _pairs(db, rows, narrowed), len(scanned), len(narrowed)


held_people = st.lists(st.tuples(names, st.sampled_from(DATES[:2]), st.sampled_from(KKS),
                                 st.sampled_from([HERE, OTHER, THIRD]),
                                 st.sampled_from(["accepted", "accepted", "registered",
                                                  "rejected", "duplicate"])),
                       max_size=30)
# one typing slip or another spelling of a word (what makes a likely duplicate)
VARIANT = {"Ridwan": "Ridwam", "Aminah": "Aminha", "Sukarno": "Sukarmo", "Basri": "Basro",
           "Ngalle": "Ngallé", "Muh.": "Muhammad", "Siti": "Sitti", "Ma'ruf": "Ma’ruf",
           "Abd.": "Abdul", "Nur": "Nurul", "Ali": "Arif"}
VARIANT.update({v: k for k, v in VARIANT.items()})


def _variant(name: str, title: str, nth: int) -> str:
    """The name with its nth word swapped for a variant, a title put before it,
    upper-cased or not (how another register writes one person)."""
    words = name.split()
    if words:
        at = nth % len(words)
        words[at] = VARIANT.get(words[at], words[at])
    text = " ".join(filter(None, [title, *words]))
    return text.upper() if nth % 3 == 0 else text


incoming_people = st.lists(st.tuples(names, st.sampled_from(DATES[:2]), st.sampled_from(KKS),
                                     st.integers(0, 40), st.integers(0, 40),
                                     st.sampled_from(["", *TITLES])), min_size=1, max_size=8)


@settings(max_examples=examples(100), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(held=held_people, incoming=incoming_people)
def test_narrowed_lookup_finds_exactly_the_pairs_of_the_full_scan(database_url, held, incoming):
    with migrated(database_url) as db:
        with db.transaction():
            db.run("DELETE FROM record_name_words")
            db.run("DELETE FROM records")
            store.insert_records(db, [_row(n, kelurahan, name, date, kk, status)
                                      for n, (name, date, kk, kelurahan, status) in enumerate(held)])
        # an incoming record may carry the NIK of a held one (never flagged: same person)
        rows = []
        for n, (name, date, kk, same, source, title) in enumerate(incoming):
            if source < len(held):  # a variant of someone held, born the same day
                name, date = _variant(held[source][0], title, n + source), held[source][1]
            rows.append(_row(1000 + n, HERE, name, date, kk,
                             nik=f"7371010101{same:06d}" if same < 30 else None))
        for other_than in (None, HERE):
            scanned, narrowed, scanned_rows, narrowed_rows = _both(db, rows, other_than)
            assert narrowed == scanned
            assert narrowed_rows <= scanned_rows


@settings(max_examples=examples(500), deadline=None)
@given(a=names, b=names)
def test_similar_names_share_a_word_or_are_both_one_word(a, b):
    """The reasoning the narrowed lookup rests on, over the name generator alone."""
    if dedupe.names_similar(a, b):
        words_a, words_b = dedupe.name_key(a).split(), dedupe.name_key(b).split()
        assert set(words_a) & set(words_b) or len(words_a) == len(words_b) == 1


def test_each_kind_of_pair_is_found_with_fewer_candidate_rows(database_url):
    with migrated(database_url) as db:
        date = DATES[0]
        held = [_row(1, OTHER, "MUHAMMAD RIDWAN DG. TOMPO", date, None),   # similar name
                _row(2, OTHER, "Sukarmo", date, None),                      # one word, one slip
                _row(3, THIRD, "Basri Ali", date, KKS[2]),                  # same KK only
                _row(4, THIRD, "Sukarno Hatta", date, None),                # no: two words
                *(_row(10 + n, OTHER, f"{w} {v}", date, None)               # born that day too
                  for n, (w, v) in enumerate(itertools.product(["Arif", "Basro"], ["Nur", "Ali"])))]
        with db.transaction():
            store.insert_records(db, held)
        rows = [_row(100, HERE, "Muh. Ridwan Daeng Tompo", date, None),
                _row(101, HERE, "Sukarno", date, None),
                _row(102, HERE, "Aminah", date, KKS[2])]
        scanned, narrowed, scanned_rows, narrowed_rows = _both(db, rows)
        ids = {r["record_id"]: r["central_id"] for r in held}
        assert narrowed == scanned == {("r100", ids["r1"], "similar_name_birth_date"),
                                       ("r101", ids["r2"], "similar_name_birth_date"),
                                       ("r102", ids["r3"], "same_kk_birth_date")}
        assert narrowed_rows == 3 < scanned_rows == len(held)


def _words(db: Database) -> set[tuple]:
    return {(r["central_id"], r["birth_date"], r["word"], r["word_count"]) for r in db.query(
        "SELECT central_id, birth_date, word, word_count FROM record_name_words")}


def test_name_words_follow_insert_replace_and_erasure(database_url):
    with migrated(database_url) as db:
        first = _row(1, OTHER, "Hj. St. Aminah Daeng Ngalle", DATES[0], None)
        second = _row(2, OTHER, "Ali Ali", DATES[1], None)
        with db.transaction():
            store.insert_records(db, [first, second])
        a, b = first["central_id"], second["central_id"]
        assert _words(db) == {(a, DATES[0], "sitti", 3), (a, DATES[0], "aminah", 3),
                              (a, DATES[0], "ngalle", 3), (b, DATES[1], "ali", 2)}
        with db.transaction():
            store.replace_record(db, {**first, "full_name": "Basri", "name_key": "basri",
                                      "birth_date": DATES[2]})
        assert _words(db) == {(a, DATES[2], "basri", 1), (b, DATES[1], "ali", 2)}
        with db.transaction():
            privacy.wipe_record(db, a, "pseudonym", "t")
            privacy.delete_traces(db, a, OTHER, "r1")
        assert _words(db) == {(b, DATES[1], "ali", 2)}  # nothing of the erased name is left


def test_migration_0010_indexes_the_records_already_held(database_url):
    """Records stored before the table existed get their words from name_key."""
    with migrated(database_url) as db:
        rows = [_row(1, OTHER, "Muh. Ridwan Daeng Tompo", DATES[0], None),
                _row(2, OTHER, "Sukarno", DATES[1], None, status="rejected"),
                _row(3, OTHER, "Ali Ali", DATES[2], None),
                _row(4, OTHER, "", DATES[2], None),
                _row(5, OTHER, "Basri", "", None),
                _row(6, THIRD, "Aminah", DATES[0], None, status="erased")]
        with db.transaction():
            store.insert_records(db, rows)
        expected = {w for w in _words(db) if w[0] != rows[5]["central_id"]}
        with db.transaction():  # as before 0010
            db.run("DROP TABLE record_name_words")
            db.run("DROP INDEX records_birth_date_kk")
            db.run("DELETE FROM schema_migrations WHERE version = '0010'")
        assert migrate(db) == ["0010_name_words.sql"]
        assert _words(db) == expected
        assert {w[2] for w in expected} == {"muhammad", "ridwan", "tompo", "sukarno", "ali"}
