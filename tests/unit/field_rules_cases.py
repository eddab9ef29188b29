"""The identity cases shared by berjasa/identity/ and field_client/js/rules.js.

``build_cases()`` runs every input through the Python validators and returns the
expected codes; field_client/tests/identity_cases.json holds the same list for
node's test runner. Regenerate it after changing a rule on purpose::

    python tests/unit/field_rules_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path

from berjasa import identity

TESTS_DIR = Path(__file__).resolve().parents[2] / "field_client" / "tests"
CASES_FILE = TESTS_DIR / "identity_cases.json"
DEDUPE_FILE = TESTS_DIR / "dedupe_cases.json"

# (nik, birth_date, sex): a woman born 12 March 1980 in Mariso has 737101 52 03 80 serial.
NIK_INPUTS = [
    ("7371015203800001", "1980-03-12", "P"),
    ("7371011203800001", "1980-03-12", "L"),
    ("7371011203800001", "1980-03-12", "P"),
    ("7371015203800001", "1980-03-12", "L"),
    ("7371015203800001", "1980-03-13", "P"),
    ("7371015203800001", "1981-04-13", "P"),
    ("7371015203800000", "1980-03-12", "P"),
    ("7371 0152 0380 0001", "1980-03-12", "P"),
    ("\u00a07371015203800001 ", None, None),
    ("737101520380001", None, None),
    ("73710152038000011", None, None),
    ("7.37101E+15", None, None),
    ("7,37101E+15", None, None),
    ("7371015E03800001", None, None),
    ("73710152E+15", None, None),
    ("7E15", None, None),
    ("7371015203800001.0", None, None),
    ("73.71.01.520380.0001", None, None),
    ("7371-0152-0380-0001", None, None),
    ("７３７１015203800001", None, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
    ("9971015203800001", None, None),
    ("7372015203800001", "1980-03-12", "P"),
    ("3171015203800001", None, None),
    ("7371995203800001", None, None),
    ("7371083203800001", None, None),
    ("7371017203800001", None, None),
    ("7371013203800001", None, None),
    ("7371014103800001", None, "P"),
    ("7371010013800001", None, None),
    ("7371011213800001", None, None),
    ("7371013102800001", None, None),
    ("7371017102800001", None, None),
    ("7371012902000001", "2000-02-29", "L"),
    ("7371012902010001", None, None),
    ("7371016902040001", "2004-02-29", "P"),
    ("7371010000000000", None, None),
    ("7371011203800001", "1880-03-12", "L"),
    ("7371011203800001", None, "X"),
    ("7371011203800001", None, " p "),
    ("7371151203800001", "1980-03-12", "L"),
]
KK_INPUTS = [
    "7371011203150001", "7371013102150001", "7371011203150000", "7.37101E+15",
    "737101120315000", "7371011203150001.0", "0071011203150001", "3171011203150001",
    "7371991203150001", "7371011213150001", "", "7371 0112 0315 0001",
]
NAME_INPUTS = [
    "Andi Baso", "  andi   baso  ", "Daeng Ngai'", "I Made Oka", "Ṣiti Nur'aini",
    "ᨕᨉᨗ", "O’Neil-Jaya, S.Pd.", "Andi2", "<b>Andi</b>", "Andi 😀", "...", "",
    "   ", "A" * 101, "e\u0301ric", "Andi\u00a0Baso", "Andi\u200bBaso", "Andi\ufe0f",
]
PHONE_INPUTS = [
    "081234567890", "0812-3456-789", "+62 812 3456 789", "628123456789",
    "+62 (0)812 3456 789", "0411-123456", "812345678", "0812", "08123456789012345",
    "0012345678", "+62abc", "", "(0411) 123456",
]


def _codes(problems) -> list[list[str]]:
    return [[p.code, p.severity] for p in problems]


def _raises(func, value) -> list[list[str]]:
    try:
        return [["ok", func(value)]]
    except identity.IdentityError as exc:
        return [[exc.code, "error"]]


def build_cases() -> list[dict]:
    """Every shared input with the codes the Python module gives it."""
    cases = []
    for nik, birth, sex in NIK_INPUTS:
        cases.append({"kind": "nik", "value": nik, "birth_date": birth, "sex": sex,
                      "expected": _codes(identity.check_nik(nik, birth, sex))})
    for kk in KK_INPUTS:
        cases.append({"kind": "kk", "value": kk, "expected": _codes(identity.check_kk(kk))})
    for name in NAME_INPUTS:
        cases.append({"kind": "name", "value": name,
                      "expected": _raises(identity.normalise_person_name, name)})
    for phone in PHONE_INPUTS:
        cases.append({"kind": "phone", "value": phone,
                      "expected": _raises(identity.normalise_phone, phone)})
    return cases


def build_dedupe_cases() -> dict:
    """A small filter built by berjasa/hints.py with a fixed key, probes with the
    answer the Python side gives (dedupe.js must give the same), and filters the
    phone must refuse (another key version, damaged bytes)."""
    import base64

    from berjasa import hints

    key = hints.HintKey.from_secret(bytes(range(32)))
    other = hints.HintKey.from_secret(bytes(range(1, 33)))
    rows = [("7371015203800001", "Siti Nur'aini", "1980-03-12"),
            ("7371011203800002", "Andi Baso", "1980-03-12"),
            ("7371012506650003", "Daeng Ngai", "1965-06-25")]
    items = [hints.item_hash(key.secret, item) for row in rows for item in hints.record_items(*row)]
    index = hints.index_body(key, items, len(rows))
    data = base64.b64decode(index["filter"])
    probes = [f"nik:{row[0]}" for row in rows] + [
        f"name:{hints.name_key(n, d)}" for _, n, d in rows] + [
        f"nik:73710152038{i:05d}" for i in range(40)] + [
        "name:" + hints.name_key("  SITI nur aini ", "1980-03-12"),
        "name:" + hints.name_key("Siti Nuraini", "1980-03-13")]
    names = ["Siti Nur'aini", "  ANDI  baso", "Ṣiti Nur’aini", "ᨕᨉᨗ", "Jean-Éric O'Neil"]
    flipped = bytearray(data)
    flipped[-1] ^= 0x10
    other_index = hints.index_body(other, [hints.item_hash(other.secret, "nik:7371015203800001")], 1)
    return {
        "key": base64.b64encode(key.secret).decode(), "index": index,
        "probes": [[item, hints.might_contain(data, key, item)] for item in probes],
        "item_hashes": [[item, hints.item_hash(key.secret, item).hex()] for item in probes[:6]],
        "name_keys": [[n, "1980-03-12", hints.name_key(n, "1980-03-12")] for n in names],
        "refused": [
            ["key_mismatch", other_index["filter"]],
            ["corrupt", base64.b64encode(bytes(flipped)).decode()],
            ["corrupt", base64.b64encode(data[:-3]).decode()],
            ["format", base64.b64encode(b"\x01\x07" + data[18:]).decode()],
        ],
    }


def render(cases: list[dict]) -> str:
    """The JSON file's text (stable, reviewable diffs)."""
    return json.dumps(cases, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    CASES_FILE.write_text(render(build_cases()), encoding="utf-8")
    DEDUPE_FILE.write_text(render(build_dedupe_cases()), encoding="utf-8")
    print(f"wrote {CASES_FILE} and {DEDUPE_FILE}")
