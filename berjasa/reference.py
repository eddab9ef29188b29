"""Reference data shipped inside the package: Makassar's regions, Sulawesi
Selatan's kabupaten/kota and the KTP occupation list (sources in
``berjasa/data/README.md``)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Province codes in use (Kemendagri): 11-19 Sumatra, 21 Kepri, 31-36 Java, 51-53
# Bali/Nusa Tenggara, 61-65 Kalimantan, 71-76 Sulawesi, 81-82 Maluku, 91-96 Papua
# (93-96 are the provinces formed in 2022).
PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
     61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96]
)
MAKASSAR = "73.71"


@dataclass(frozen=True)
class Region:
    """A kecamatan or kelurahan of Kota Makassar."""

    code: str
    level: str
    name: str
    kecamatan_code: str


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("berjasa").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def regions() -> dict[str, Region]:
    """All kecamatan and kelurahan of Makassar, by dotted code."""
    return {
        row["kode"]: Region(row["kode"], row["level"], row["nama"], row["kecamatan_kode"])
        for row in _rows("makassar_wilayah.csv")
    }


def kelurahan(code: str) -> Region | None:
    """The kelurahan with this dotted code (``73.71.01.1001``), or None."""
    region = regions().get(code.strip())
    return region if region and region.level == "kelurahan" else None


def kelurahan_list() -> list[Region]:
    """Every kelurahan, ordered by code."""
    return sorted((r for r in regions().values() if r.level == "kelurahan"), key=lambda r: r.code)


@cache
def kecamatan_codes() -> frozenset[str]:
    """Undotted six-digit kecamatan codes of Makassar (``737101``), for NIK checks.
    Includes 73.71.08 which held the islands before 73.71.15 existed."""
    return frozenset(
        r.code.replace(".", "") for r in regions().values() if r.level == "kecamatan"
    )


def find_kelurahan(text: str, limit: int = 5) -> list[Region]:
    """Kelurahan whose name or kecamatan name contains ``text`` (accents, case and
    apostrophes ignored), to help someone who typed the wrong code."""
    needle = _fold(text)
    found = []
    for region in kelurahan_list():
        kecamatan = regions().get(region.kecamatan_code)
        haystack = _fold(region.name + " " + (kecamatan.name if kecamatan else ""))
        if needle and needle in haystack:
            found.append(region)
    return found[:limit]


@cache
def occupations() -> tuple[str, ...]:
    """KTP occupation names in the list's spelling, in code order."""
    return tuple(row["nama"] for row in _rows("occupations.csv"))


def _occupation_key(text: str) -> str:
    """Compare occupations case-insensitively, ignoring spaces around '/' and a
    trailing parenthesised abbreviation (data/README.md)."""
    key = re.sub(r"\s*\([^)]*\)\s*$", "", text.strip())
    key = re.sub(r"\s*/\s*", "/", key)
    return re.sub(r"\s+", " ", key).casefold()


@cache
def _occupation_index() -> dict[str, str]:
    index = {}
    for name in occupations():
        index[_occupation_key(name)] = name
        index[name.casefold()] = name
    return index


def match_occupation(text: str) -> str | None:
    """The list's spelling of ``text`` when it names a listed occupation, else None."""
    if not isinstance(text, str):
        return None
    return _occupation_index().get(text.strip().casefold()) or _occupation_index().get(
        _occupation_key(text)
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", plain.casefold())


@cache
def kecamatan_neighbours() -> dict[str, frozenset[str]]:
    """Kecamatan sharing a border (data/kecamatan_neighbours.csv, made symmetric):
    the reach of the phone's duplicate hints (docs/field-app.md)."""
    pairs: dict[str, set[str]] = {}
    for row in _rows("kecamatan_neighbours.csv"):
        for other in row["tetangga_kode"].split():
            pairs.setdefault(row["kecamatan_kode"], set()).add(other)
            pairs.setdefault(other, set()).add(row["kecamatan_kode"])
    return {code: frozenset(others) for code, others in pairs.items()}


def hint_area(kelurahan_code: str) -> frozenset[str]:
    """Kelurahan codes of this kelurahan's kecamatan and its neighbours (empty when
    the code is unknown: the caller then falls back to the whole city)."""
    here = kelurahan(kelurahan_code or "")
    if here is None:
        return frozenset()
    reach = {here.kecamatan_code} | kecamatan_neighbours().get(here.kecamatan_code, frozenset())
    return frozenset(r.code for r in kelurahan_list() if r.kecamatan_code in reach)
