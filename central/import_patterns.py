"""What only the file as a whole shows: the distinct values a column held that the
import does not know (:class:`UnknownValues`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class UnknownValues:
    """The distinct values the import did not know, per column (the file's heading),
    with how many rows held each; at most :data:`KEPT` values a column are kept (the
    rest only counted)."""

    KEPT = 20

    def __init__(self) -> None:
        self.columns: dict[str, Counter[str]] = {}
        self.others: Counter[str] = Counter()

    def add(self, column: str, value: str) -> None:
        counts = self.columns.setdefault(column, Counter())
        if value in counts or len(counts) < self.KEPT:
            counts[value] += 1
        else:
            self.others[column] += 1

    def summary(self) -> dict[str, Any]:
        """``{column: {"values": [[value, rows], ...], "other_rows": n}}``, most rows first."""
        return {column: {"values": [[v, n] for v, n in counts.most_common()],
                         "other_rows": self.others[column]}
                for column, counts in self.columns.items()}


def describe_unknown(unknown: dict[str, Any]) -> str:
    """One line for a message: ``kolom Status: "Ya Aktif" (3 baris), "Suspend" (1 baris)``."""
    parts = []
    for column, seen in unknown.items():
        values = ", ".join(f"\"{''.join(c if c.isprintable() else ' ' for c in value)}\" ({rows} baris)"
                           for value, rows in seen["values"])
        other = f", dan {seen['other_rows']} baris dengan nilai lain" if seen["other_rows"] else ""
        parts.append(f"kolom {column}: {values}{other}")
    return "; ".join(parts)
