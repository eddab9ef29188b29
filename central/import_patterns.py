"""What only the file as a whole shows: an identifier column whose last digits Excel
replaced by zeros (:class:`IdentifierEndings`), and the distinct values a column held
that the import does not know (:class:`UnknownValues`).

**Zeroed identifiers.** Excel keeps 15 significant digits of a number. A NIK or KK
column formatted Number (or pasted as numbers) is saved as the first 15 digits followed
by ``0``: each value is still 16 digits, so no row alone can be told apart from a real
NIK that ends in 0. The column can: the last digit of a NIK or KK is the last digit of
a serial number (``0001``, ``0002``... per kecamatan, birth or issue date), so at most
about one value in ten ends in 0 (serials 1..m end in 0 ``floor(m/10)`` times in m, never
more than a tenth; small serials, the common case, make it fewer). :func:`beyond_chance`
refuses a column when, with every value's chance of ending in 0 taken as
:data:`ZERO_SHARE` (one in ten), the binomial probability of seeing that many zeros or
more is below :data:`CHANCE` (one in a million): a real file is refused by chance less
than once in a million imports. It also takes at least :data:`MIN_SHARE` of the values
(one in five, twice the usual share): in a large file the binomial bound alone sits just
above a tenth (10.14 % at a million values), and a real list whose serials end in 0 a
little more often than the argument above allows must not be refused for it; a column
Excel damaged ends in 0 throughout. docs/central.md lists what the two need (7 values of
7; 8 of 10; 28 of 100; a fifth from about 300 values on). A KPJ of 16 digits or more is checked the same way (its digits
past the 15th all zero); a KPJ of 11 digits, BPJS's usual, is kept whole by Excel and
not counted.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from berjasa.logs import mask_identity_numbers
from central.import_reading import ImportFileError

ZERO_SHARE = 0.1
CHANCE = 1e-6
MIN_SHARE = 0.2
# Values of a column in the row tuples central.import_rows.CONVERT makes.
IDENTIFIERS = {
    "dtsen": (("nik", 0), ("kk_number", 1)),
    "bpjs-participants": (("nik", 0), ("kpj_number", 1)),
    "cohort": (("nik", 0), ("kpj_number", 1)),
    "jht": (("nik", 0),),
}


def upper_tail(n: int, k: int, p: float = ZERO_SHARE) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space from the k-th term (the
    terms fall from there when k > np; for k <= np the answer is at least about one
    half and 1.0 is returned)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if k <= n * p:
        return 1.0
    log_first = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                 + k * math.log(p) + (n - k) * math.log1p(-p))
    odds, total, term, i = p / (1 - p), 0.0, 1.0, k
    while i <= n and term >= total * 1e-17:
        total += term
        term *= (n - i) / (i + 1) * odds
        i += 1
    return math.exp(log_first + math.log(total))


def beyond_chance(n: int, k: int) -> bool:
    """Whether ``k`` zero endings among ``n`` values is Excel's damage, not chance
    (module docstring)."""
    return k >= n * MIN_SHARE and upper_tail(n, k) < CHANCE


def fewest_beyond_chance(n: int) -> int | None:
    """The fewest zero endings among ``n`` values that refuse a column (docs)."""
    return next((k for k in range(int(n * ZERO_SHARE), n + 1) if beyond_chance(n, k)), None)


class IdentifierEndings:
    """Per identifier column of an import: the values accepted and how many end in the
    zeros Excel writes past its 15 significant digits."""

    def __init__(self, kind: str, labels: dict[str, str]) -> None:
        self.columns = [(field, index, "".join(c if c.isprintable() else " " for c in labels[field]))
                        for field, index in IDENTIFIERS[kind] if field in labels]
        self.read = [0] * len(self.columns)
        self.zeros = [0] * len(self.columns)

    def add_batch(self, batch: list[tuple]) -> None:
        """A batch of accepted rows' values (counted a column at a time: a tenth of the
        cost of a call per row). A NIK or KK accepted is 16 digits; a KPJ counts only
        with 16 digits or more (Excel keeps a shorter number whole)."""
        for position, (field, index, _) in enumerate(self.columns):
            values = [value for value in [row[index] for row in batch] if value]
            if field == "kpj_number":
                values = [value for value in values if len(value) >= 16 and value.isdigit()]
            self.read[position] += len(values)
            self.zeros[position] += sum(1 for value in values if not value[15:].strip("0"))

    def check(self, name: str) -> None:
        """ImportFileError naming the first column whose zeros are beyond chance."""
        for position, (field, _, label) in enumerate(self.columns):
            n, k = self.read[position], self.zeros[position]
            if n and beyond_chance(n, k):
                what = "NIK" if field == "nik" else "No. KK" if field == "kk_number" else "No. KPJ"
                raise ImportFileError(
                    f"{name}: kolom {label}: {k} dari {n} {what} berakhiran 0 (pada data asli sekitar "
                    f"1 dari 10): tanda Excel menyimpannya sebagai angka (format Number/General), yang "
                    f"hanya menyimpan 15 digit lalu mengganti digit ke-16 dengan 0. {what} itu tidak "
                    f"dapat diperbaiki dari berkas ini: di berkas asal, format kolom {label} sebagai Teks "
                    f"(Text) sebelum menempel datanya, atau buka CSV-nya lewat Data > Dari Teks/CSV "
                    f"dengan kolom itu sebagai Teks, lalu simpan dan impor ulang; data lama tidak diganti")


class UnknownValues:
    """The distinct values the import did not know, per column (the file's heading),
    with how many rows held each; at most :data:`KEPT` values a column are kept (the
    rest only counted)."""

    KEPT = 20

    def __init__(self) -> None:
        self.columns: dict[str, Counter[str]] = {}
        self.others: Counter[str] = Counter()

    def add(self, column: str, value: str) -> None:
        """One row's unknown ``value`` (a NIK typed in by mistake is masked: the summary
        goes to the audit trail, which never holds a NIK)."""
        value = mask_identity_numbers(value)
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
