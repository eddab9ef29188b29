"""Findings for verifiers and the records they act on
(migrations/central/*/0007_verification.sql). SQL only. Dukcapil's answers and
quota are :mod:`central.storage.dukcapil_checks`, the likely-duplicate pairs
:mod:`central.storage.pairs`."""

from __future__ import annotations

import json
from typing import Any

from central.storage import duplicate_candidates, records
from central.storage.db import Database

_RECORD_SUMMARY = ("r.central_id, r.kelurahan_code, r.record_id, r.nik, r.kk_number, r.full_name,"
                   " r.birth_date, r.birth_place, r.sex, r.address, r.rt, r.rw, r.mother_name,"
                   " r.version, r.status, r.received_at")


def records_with_open_findings(db: Database) -> set[int]:
    """Central ids of the records with at least one open finding."""
    rows = db.query("SELECT DISTINCT central_id FROM findings WHERE status = 'open'")
    return {int(r["central_id"]) for r in rows}


def _evidence_text(evidence: dict[str, Any]) -> str:
    """The stored form of a finding's evidence (canonical: equal evidence, equal text)."""
    return json.dumps(evidence, ensure_ascii=False, sort_keys=True)


def add_finding(db: Database, row: dict[str, Any]) -> int | None:
    """Raise a finding; its id, or None when one of that kind is already open
    for the record (the partial unique index decides)."""
    found = db.one(
        "INSERT INTO findings (central_id, record_version, kind, source, evidence, status,"
        " raised_at, raised_by) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (row["central_id"], row.get("record_version"), row["kind"], row["source"],
         _evidence_text(row["evidence"]), row["raised_at"], row["raised_by"]))
    return int(found["id"]) if found else None


def decided_before(db: Database, central_id: int, kind: str, record_version: int | None,
                   evidence: dict[str, Any]) -> bool:
    """Whether a verifier already decided a finding of this kind on this version
    of the record with this very evidence."""
    return db.one(
        "SELECT 1 AS x FROM findings WHERE central_id = ? AND kind = ? AND status = 'decided'"
        " AND COALESCE(record_version, -1) = ? AND evidence = ? LIMIT 1",
        (central_id, kind, -1 if record_version is None else int(record_version),
         _evidence_text(evidence))) is not None


def decided_evidence(db: Database, kind: str, central_ids: list[int]) -> set[tuple[int, int, str]]:
    """(central id, record version or -1, evidence text) of every decided finding of
    this kind on these records: :func:`decided_before` for a batch of records at once."""
    if not central_ids:
        return set()
    among, params = db.in_list("central_id", sorted(set(central_ids)), "bigint")
    return {(int(r["central_id"]), -1 if r["record_version"] is None else int(r["record_version"]),
             r["evidence"]) for r in db.query(
        "SELECT central_id, record_version, evidence FROM findings WHERE kind = ?"
        f" AND status = 'decided' AND {among}", [kind, *params])}


def evidence_key(central_id: int, record_version: int | None,
                 evidence: dict[str, Any]) -> tuple[int, int, str]:
    """A finding's key in :func:`decided_evidence`."""
    return (int(central_id), -1 if record_version is None else int(record_version),
            _evidence_text(evidence))


def add_findings(db: Database, rows: list[dict[str, Any]]) -> int:
    """Raise findings (each as :func:`add_finding` takes it) in one statement; how
    many were raised (one of the kind already open for the record raises nothing)."""
    raised = 0
    for start in range(0, len(rows), 500):  # 3,500 parameters a statement at most
        chunk = rows[start:start + 500]
        values = ", ".join(["(?, ?, ?, ?, ?, 'open', ?, ?)"] * len(chunk))
        raised += len(db.query(
            "INSERT INTO findings (central_id, record_version, kind, source, evidence, status,"
            f" raised_at, raised_by) VALUES {values} ON CONFLICT DO NOTHING RETURNING id",
            [value for row in chunk for value in (
                row["central_id"], row.get("record_version"), row["kind"], row["source"],
                _evidence_text(row["evidence"]), row["raised_at"], row["raised_by"])]))
    return raised


def _finding(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["evidence"] = json.loads(row["evidence"]) if row.get("evidence") else {}
    return row


def get_finding(db: Database, finding_id: int) -> dict[str, Any] | None:
    """One finding with its record's summary."""
    row = db.one(f"SELECT f.*, {_RECORD_SUMMARY.replace('r.status', 'r.status AS record_status')}"
                 " FROM findings f JOIN records r ON r.central_id = f.central_id WHERE f.id = ?",
                 (finding_id,))
    return _finding(row) if row else None


# an open send-back of a record still active: it waits for the kelurahan's fix
_WAITING = "(f.kind = 'sent_back' AND r.status IN ('accepted', 'registered'))"


def list_findings(db: Database, status: str | None = "open", kind: str | None = None,
                  central_id: int | None = None, limit: int = 200,
                  waiting: bool | None = None) -> list[dict[str, Any]]:
    """Findings (oldest first) with their records' summaries. ``waiting``: only
    the send-backs waiting for a kelurahan's fix (True), or all but those (False)."""
    where, params = _status_and_kind(status, kind)
    if waiting is not None:
        where.append(_WAITING if waiting else f"NOT {_WAITING}")
    if central_id is not None:
        where.append("f.central_id = ?")
        params.append(central_id)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = db.query(f"SELECT f.*, {_RECORD_SUMMARY.replace('r.status', 'r.status AS record_status')}"
                    f" FROM findings f JOIN records r ON r.central_id = f.central_id{clause}"
                    " ORDER BY f.id LIMIT ?", (*params, limit))
    return [_finding(r) for r in rows]


def _status_and_kind(status: str | None, kind: str | None) -> tuple[list[str], list[Any]]:
    """The WHERE conditions (and their parameters) of a findings filter."""
    where, params = [], []
    if status:
        where.append("f.status = ?")
        params.append(status)
    if kind:
        where.append("f.kind = ?")
        params.append(kind)
    return where, params


def count_findings(db: Database, status: str | None = "open", kind: str | None = None) -> int:
    """How many findings :func:`list_findings` would list without a limit."""
    where, params = _status_and_kind(status, kind)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return int(db.one("SELECT count(*) AS n FROM findings f JOIN records r"
                      f" ON r.central_id = f.central_id{clause}", params)["n"])


def open_kinds(db: Database, central_id: int) -> list[str]:
    """Kinds of the record's open findings."""
    return [r["kind"] for r in db.query(
        "SELECT kind FROM findings WHERE central_id = ? AND status = 'open' ORDER BY id",
        (central_id,))]


def decide_finding(db: Database, finding_id: int, decision: str, reason: str | None,
                   decided_by: str, at: str) -> bool:
    """Decide an open finding; False when it was not open any more (someone else
    decided first)."""
    return db.run("UPDATE findings SET status = 'decided', decision = ?, reason = ?,"
                  " decided_by = ?, decided_at = ? WHERE id = ? AND status = 'open'",
                  (decision, reason, decided_by, at, finding_id)) == 1


def close_open_findings(db: Database, central_id: int, decision: str, reason: str | None,
                        decided_by: str, at: str, kinds: tuple[str, ...] | None = None) -> int:
    """Close a record's open findings (all, or of these kinds); how many."""
    sql = ("UPDATE findings SET status = 'decided', decision = ?, reason = ?, decided_by = ?,"
           " decided_at = ? WHERE central_id = ? AND status = 'open'")
    params: list[Any] = [decision, reason, decided_by, at, central_id]
    if kinds:
        sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
        params += list(kinds)
    return db.run(sql, params)


def open_of_kind(db: Database, kind: str) -> dict[int, dict[str, Any]]:
    """The open findings of one kind, by central id (their evidence)."""
    return {int(r["central_id"]): _finding(r)["evidence"] for r in db.query(
        "SELECT central_id, evidence FROM findings WHERE kind = ? AND status = 'open'", (kind,))}


def decided_of_kind(db: Database, kind: str, decision: str,
                    central_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The evidence of the findings of ``kind`` a verifier decided with ``decision``,
    for these records (by central id)."""
    if not central_ids:
        return {}
    among, params = db.in_list("central_id", sorted({int(i) for i in central_ids}), "bigint")
    found: dict[int, list[dict[str, Any]]] = {}
    for row in db.query("SELECT central_id, evidence FROM findings WHERE kind = ?"
                        f" AND status = 'decided' AND decision = ? AND {among}",
                        (kind, decision, *params)):
        found.setdefault(int(row["central_id"]), []).append(_finding(row)["evidence"])
    return found


def open_waiting_count(db: Database) -> int:
    """Open send-backs of active records (waiting for the kelurahan's fix)."""
    return int(db.one("SELECT count(*) AS n FROM findings f JOIN records r"
                      f" ON r.central_id = f.central_id WHERE f.status = 'open' AND {_WAITING}")["n"])


def finding_counts(db: Database) -> dict[str, int]:
    """Open findings per kind."""
    return {r["kind"]: int(r["n"]) for r in db.query(
        "SELECT kind, count(*) AS n FROM findings WHERE status = 'open' GROUP BY kind")}


def finding_reasons(db: Database, finding_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{finding id: its subject ("kelurahan/record_id"), kind, send-back reason
    (evidence) and decision reason}, for findings still held (an erasure deletes a
    person's findings)."""
    if not finding_ids:
        return {}
    among, params = db.in_list("f.id", sorted(set(finding_ids)), "bigint")
    rows = db.query("SELECT f.id, f.kind, f.evidence, f.reason, r.kelurahan_code, r.record_id"
                    f" FROM findings f JOIN records r ON r.central_id = f.central_id WHERE {among}",
                    params)
    return {int(row["id"]): {"subject": f"{row['kelurahan_code']}/{row['record_id']}",
                             "kind": row["kind"], "evidence": _finding(row)["evidence"],
                             "reason": row["reason"]} for row in rows}


# --- records a verifier acts on ----------------------------------------------------


def record_by_nik(db: Database, nik: str) -> dict[str, Any] | None:
    """The record holding this NIK at central: the active one, else the latest."""
    return db.one(f"SELECT {_RECORD_SUMMARY} FROM records r WHERE r.nik = ?"
                  " ORDER BY CASE WHEN r.status IN ('accepted', 'registered') THEN 0 ELSE 1 END,"
                  " r.central_id DESC LIMIT 1", (nik,))


def record_by_id(db: Database, central_id: int) -> dict[str, Any] | None:
    """One held record, every column."""
    return db.one("SELECT * FROM records WHERE central_id = ?", (central_id,))


def records_by_ids(db: Database, central_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Held records by central id."""
    if not central_ids:
        return {}
    among, params = db.in_list("central_id", [int(i) for i in central_ids], "bigint")
    rows = db.query(f"SELECT * FROM records WHERE {among}", params)
    return {int(r["central_id"]): r for r in rows}


def set_record_status(db: Database, central_id: int, status: str, reasons: list | None,
                      at: str) -> None:
    """A verifier's decision on a held record (e.g. rejected after a finding)."""
    db.run("UPDATE records SET status = ?, reasons = ?, updated_at = ? WHERE central_id = ?",
           (status, json.dumps(reasons) if reasons else None, at, central_id))


def end_coverage(db: Database, central_id: int, last_month: str, at: str) -> None:
    """A verifier found a registered worker's participation ended: the city pays up
    to ``last_month`` (YYYY-MM) and no later; the record stays registered."""
    db.run("UPDATE records SET coverage_end = ?, updated_at = ? WHERE central_id = ?",
           (last_month, at, central_id))


def clear_kpj_claim(db: Database, central_id: int, at: str) -> None:
    """A verifier set a kelurahan's KPJ claim aside: the record is a new enrollment."""
    db.run("UPDATE records SET kpj_claim = NULL, kpj_claimed_at = NULL, updated_at = ?"
           " WHERE central_id = ?", (at, central_id))


def mark_duplicate_of(db: Database, central_id: int, kelurahan_code: str, record_id: str,
                      at: str) -> None:
    """A verifier found the record to be the same person as another one, kept."""
    db.run("UPDATE records SET status = 'duplicate', duplicate_of_kelurahan = ?,"
           " duplicate_of_record = ?, updated_at = ? WHERE central_id = ?",
           (kelurahan_code, record_id, at, central_id))


def active_with_dtsen(db: Database, central_ids: list[int] | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
    """Active records whose NIK is in the DTSEN snapshot, with the DTSEN row's
    name, birth date and kelurahan (``dtsen_*``)."""
    sql = ("SELECT r.central_id, r.version, r.full_name, r.birth_date, r.kelurahan_code,"
           " d.full_name AS dtsen_full_name, d.birth_date AS dtsen_birth_date,"
           " d.kelurahan_code AS dtsen_kelurahan_code FROM records r JOIN dtsen d ON d.nik = r.nik")
    params: list[Any] = []
    if central_ids is None:
        sql += " WHERE r.status IN ('accepted', 'registered')"
    else:
        if not central_ids:
            return []
        among, ids = db.in_list("r.central_id", list(central_ids), "bigint")
        # these records by id, their status filtered (duplicate_candidates.status_among)
        active, statuses = duplicate_candidates.status_among(db, records.ACTIVE, "r.status")
        sql += f" WHERE {among} AND {active}"
        params += [*ids, *statuses]
    sql += " ORDER BY r.central_id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return db.query(sql, params)
