"""The payment list at the city's size on SQLite (central never runs ANALYZE): no query
of the list, of who it leaves out, or of the dashboard's count looks up a cohort row's
NIK in ``records`` through ``records_status``, which reads every registered record for
each cohort row. Before, the list of 80,000 cohort rows beside 20,000 registered
records took some 400 s of CPU (5 ms a cohort row) and the dashboard's first count as
long; through ``records_nik`` it takes 0.5 s (bench/export_bench.py's database). Each
statement the export runs is caught as it runs and its plan read back."""

from __future__ import annotations

import sqlite3

import pytest

from central import holds
from central.exports import export
from central.storage.db import sqlite_path

from .conftest import KELURAHAN_A


def _correlated_status_scans(url: str, statements: list[str]) -> list[str]:
    """The plan lines that read ``records_status`` under a correlated subquery."""
    found = []
    with sqlite3.connect(sqlite_path(url)) as plain:
        for sql in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = plain.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            parent = {node: up for node, up, _, _ in plan}
            detail = {node: text for node, _, _, text in plan}
            for node, text in detail.items():
                up, inside = parent[node], False
                while up:
                    inside = inside or detail.get(up, "").startswith("CORRELATED")
                    up = parent.get(up, 0)
                if inside and "records_status" in text:
                    found.append(f"{text} in: {sql[:120]}")
    return found


def test_the_payment_list_never_reads_every_registered_record_per_cohort_row(central, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL keeps statistics and plans the lookups by NIK itself")
    central.change("INSERT INTO cohort (nik, kpj_number, full_name, birth_date, kelurahan_code,"
                   " coverage_start, monthly_income, jht) VALUES ('7371010101800001', '11000001',"
                   f" 'Daeng Sikki', '1980-01-01', '{KELURAHAN_A}', '2024-01', NULL, 0)")
    db = central.db()
    statements: list[str] = []
    try:
        db.conn.set_trace_callback(statements.append)
        export(db, "payment-list", "csv", None, actor="operator-uji", month="2025-11")
        holds.payment_not_held(db, "2025-11")
        db.conn.set_trace_callback(None)
    finally:
        db.close()
    assert any("FROM cohort c" in sql for sql in statements)
    assert _correlated_status_scans(central.database_url, statements) == []
