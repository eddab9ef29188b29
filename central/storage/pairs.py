"""Likely-duplicate pairs (``duplicate_flags``, migrations/central/*/0007_verification.sql):
the pairs with both records, a verifier's decision on one, and what decided pairs
say about a record (kept, dropped, the reason). SQL only."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database
from central.storage.findings import records_by_ids


def duplicate_pairs(db: Database, open_only: bool = True, limit: int = 200) -> list[dict[str, Any]]:
    """Flagged pairs, each with both records: first the pairs where the phone had
    already hinted "maybe registered" (records.possible_duplicate), then oldest first."""
    where = " WHERE d.decided_at IS NULL" if open_only else ""
    pairs = db.query("SELECT d.* FROM duplicate_flags d"
                     " LEFT JOIN records ra ON ra.central_id = d.central_id_a"
                     " LEFT JOIN records rb ON rb.central_id = d.central_id_b" + where +
                     " ORDER BY CASE WHEN ra.possible_duplicate IS NOT NULL"
                     " OR rb.possible_duplicate IS NOT NULL THEN 0 ELSE 1 END,"
                     " d.flagged_at, d.central_id_a, d.central_id_b LIMIT ?", (limit,))
    ids = sorted({int(p["central_id_a"]) for p in pairs} | {int(p["central_id_b"]) for p in pairs})
    held = records_by_ids(db, ids)
    for pair in pairs:
        pair["a"], pair["b"] = held.get(int(pair["central_id_a"])), held.get(int(pair["central_id_b"]))
    return pairs


def open_pair_count(db: Database) -> int:
    """Flagged pairs no verifier has decided yet."""
    return pair_count(db, open_only=True)


def pair_count(db: Database, open_only: bool = True) -> int:
    """How many pairs :func:`duplicate_pairs` would list without a limit."""
    where = " WHERE decided_at IS NULL" if open_only else ""
    return int(db.one(f"SELECT count(*) AS n FROM duplicate_flags{where}")["n"])


def get_pair(db: Database, central_id_a: int, central_id_b: int) -> dict[str, Any] | None:
    """One flagged pair with both records."""
    pair = db.one("SELECT * FROM duplicate_flags WHERE central_id_a = ? AND central_id_b = ?",
                  (central_id_a, central_id_b))
    if pair is None:
        return None
    held = records_by_ids(db, [central_id_a, central_id_b])
    pair["a"], pair["b"] = held.get(central_id_a), held.get(central_id_b)
    return pair


def decide_pair(db: Database, central_id_a: int, central_id_b: int, decision: str,
                reason: str, decided_by: str, at: str) -> bool:
    """Decide an open pair; False when another verifier decided it first."""
    return db.run("UPDATE duplicate_flags SET decision = ?, reason = ?, decided_by = ?,"
                  " decided_at = ? WHERE central_id_a = ? AND central_id_b = ?"
                  " AND decided_at IS NULL",
                  (decision, reason, decided_by, at, central_id_a, central_id_b)) == 1


def pair_reasons(db: Database, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(subject, other): the reason a verifier gave for that decided pair}, each
    record named "kelurahan/record_id", in two queries for any number of pairs; a
    pair whose record or decision is gone is missing from the answer."""
    refs = sorted({ref for pair in pairs for ref in pair})
    if not refs:
        return {}
    codes, ids = zip(*(ref.partition("/")[::2] for ref in refs))
    among_codes, code_params = db.in_list("kelurahan_code", sorted(set(codes)))
    among_ids, id_params = db.in_list("record_id", sorted(set(ids)))
    central = {f"{r['kelurahan_code']}/{r['record_id']}": int(r["central_id"]) for r in db.query(
        f"SELECT central_id, kelurahan_code, record_id FROM records WHERE {among_codes}"
        f" AND {among_ids}", [*code_params, *id_params])}
    held = sorted(set(central.values()))
    if not held:
        return {}
    among, params = db.in_list("central_id_a", held, "bigint")
    decided = {frozenset((int(r["central_id_a"]), int(r["central_id_b"]))): r["reason"]
               for r in db.query("SELECT central_id_a, central_id_b, reason FROM duplicate_flags"
                                 f" WHERE decided_at IS NOT NULL AND {among}", params)}
    out = {}
    for subject, other in pairs:
        key = frozenset((central.get(subject), central.get(other)))
        if None not in key and key in decided:
            out[(subject, other)] = decided[key] or ""
    return out


def dropped_by_pairs(db: Database, central_ids: list[int]) -> set[int]:
    """Those of ``central_ids`` that a verifier's pair decision made ``duplicate``
    (the pair decided keep_a/keep_b with the other record kept) and still are."""
    if not central_ids:
        return set()
    among, params = db.in_list("r.central_id", sorted({int(i) for i in central_ids}), "bigint")
    rows = db.query(
        "SELECT r.central_id FROM records r JOIN duplicate_flags d"
        " ON (d.central_id_b = r.central_id AND d.decision = 'keep_a')"
        " OR (d.central_id_a = r.central_id AND d.decision = 'keep_b')"
        f" WHERE r.status = 'duplicate' AND {among}", params)
    return {int(r["central_id"]) for r in rows}


def pairs_keeping(db: Database, central_id: int) -> list[dict[str, Any]]:
    """Decided pairs that kept this record while the other one is still its
    ``duplicate``: the other record (``kelurahan_code``, ``record_id``) and who decided."""
    return db.query(
        "SELECT o.central_id, o.kelurahan_code, o.record_id, d.decision, d.decided_by, d.decided_at"
        " FROM duplicate_flags d JOIN records o ON o.central_id ="
        " CASE WHEN d.central_id_a = ? THEN d.central_id_b ELSE d.central_id_a END"
        " WHERE ((d.central_id_a = ? AND d.decision = 'keep_a')"
        " OR (d.central_id_b = ? AND d.decision = 'keep_b')) AND o.status = 'duplicate'"
        " ORDER BY o.central_id", (central_id, central_id, central_id))
