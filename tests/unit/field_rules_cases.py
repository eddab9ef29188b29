"""The cases shared by the server's rules and the phone's ports of them:
berjasa/identity/ and field_client/js/rules.js (``build_cases()``,
identity_cases.json); berjasa/checks.py's free-text rule and
berjasa/number_text.py's parse_rupiah and field_client/js/typed.js
(``build_typed_cases()``, typed_cases.json).

Each builder runs every input through the Python code and records its answer;
the JSON files in field_client/tests/ hold the same lists for node's test runner.
Regenerate them after changing a rule on purpose::

    python tests/unit/field_rules_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path

from berjasa import identity

TESTS_DIR = Path(__file__).resolve().parents[2] / "field_client" / "tests"
CASES_FILE = TESTS_DIR / "identity_cases.json"
DEDUPE_FILE = TESTS_DIR / "dedupe_cases.json"
TYPED_FILE = TESTS_DIR / "typed_cases.json"

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


# (text, allowed): what an enumerator might type or paste into a free-text field.
FREE_TEXT_INPUTS = [
    ("Jl. Somba Opu No. 21", "\n\r\t"),
    ("Jl. Somba Opu\nRT 002 / RW 003\tdekat masjid", "\n\r\t"),
    ("Jl. Somba Opu\nRT 002", "\t"),  # a one-line field: no line break
    ("Jl. Somba Opu \u202e12 .oN", "\n\r\t"),
    ("\u2066alamat\u2069 \u202a\u202b\u202c\u202d", "\n\r\t"),
    ("Maka\u200bssar\u2060\ufeff\u00ad", "\t"),
    ("kanan\u200fkiri\u200e\u061c", "\n\r\t"),
    ("a\x00b\x1b[31m\x7f\x85", "\n\r\t"),
    ("baris\u2028paragraf\u2029", "\n\r\t"),
    ("pribadi\ue000\U000f0000", "\n\r\t"),
    ("tag\U000e0041\U000e007f", "\n\r\t"),
    ("tak dikenal\u0378", "\n\r\t"),  # unassigned in every Unicode version so far
    ("Wa\u200dOde \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\n\r\t"),
    ("\U0001F468\u200d\U0001F469\u200d\U0001F467 \u2764\ufe0f \U0001F44D\U0001F3FD", "\t"),
    ("\u1a00\u1a17\u1a1e \U00011ee0\U00011ef3 \ua984\ua9b4\ua9c0", "\t"),
    ("Jl.\u00a0Sultan\u202fHasanuddin\u3000No. 5", "\t"),
    ("\u202e\u202d\u2066\u2067\u2068\u2069\u200b", ""),  # more than five: "dan lainnya"
    ("a\tb", ""),
]
RUPIAH_INPUTS = [
    "2100000", "2.100.000", "Rp 2.100.000", "2.100.000,00", "2.100.000,0", "Rp2.100.000,00",
    "Rp. 2.100.000,-", "rp 2.100.000.-", "IDR 2100000", "idr2100000", "2100000,00",
    "\u00a02 100 000\u202f", "0", "750.000", "1.500", "1.500.000", "Rp 1.500.000",
    " 1500000 ", "1.500.000,00", "000000000000001", "999999999999", "1\u2009500\u2009000",
    "1\x1c500", "1\x85500", "1\u200b500", "\ufeff1500", "", "  ", None, "Rp", "Rp.",
    "2.100.000,50", "2100000,5", "2.100.000,05", "1.500.000,50",
    "2,100", "2,100,000", "2100000.00", "2.100.000.00", "2,100,000.00", "21.00.000",
    "2.100,000", "2100000.5", "2.1", "1.50", "15.00.000", "1500000.50", "1.500.000.",
    "dua juta", "-2.100.000", "2.100.000 Rp", "1,5 juta", "1,5jt", "1.5 juta", "1.500rb",
    "\u0662\u0661\u0660\u0660", "\uff11\uff15\uff10\uff10", "1" * 13, "1.000.000.000.000",
    "\u0131dr 5", "\u0130DR 5", "Rp-", "Rp 1,-", "1e6", "+1500000", "0x10", "1_500",
]


def _rupiah(text) -> list:
    from berjasa.number_text import RupiahUnreadable, parse_rupiah

    try:
        amount = parse_rupiah(text)
    except RupiahUnreadable as unreadable:
        return [unreadable.problem, str(unreadable)]
    return ["none"] if amount is None else ["ok", amount]


def _code_ranges(marks: str) -> list[str]:
    """The code points marked "1" in ``marks`` (one mark per code point) as "0000-001F"
    ranges (found by a regular expression: a Python loop over 1.1 million points is slow)."""
    import re

    return [f"{m.start():04X}-{m.end() - 1:04X}" for m in re.finditer("1+", marks)]


def build_typed_cases() -> dict:
    """Free text and rupiah with the Python answers; every code point the free-text
    rule refuses with nothing allowed (by its categories and joiners, to which
    tests/unit/test_checks.py holds the rule), and those unassigned in Python's Unicode
    version (a newer engine may have assigned them: typed.test.mjs skips those)."""
    import unicodedata

    from berjasa import checks, number_text

    # every code point, made here rather than at import: each xdist worker imports
    # this module while collecting (a 1.1-million-character string, 0.1-0.3 s)
    categories = list(map(unicodedata.category, map(chr, range(0x110000))))
    refused = ["1" if category in checks.UNPRINTABLE_CATEGORIES else "0" for category in categories]
    for joiner in checks.TEXT_JOINERS:
        refused[ord(joiner)] = "0"
    free = []
    for text, allowed in FREE_TEXT_INPUTS:
        problem = checks.unprintable_problem(text, allowed)
        free.append({"value": text, "allowed": allowed,
                     "chars": [f"U+{ord(c):04X}" for c in checks.unprintable_characters(text, allowed)],
                     "message": problem.message if problem else None})
    return {
        "unicode_version": unicodedata.unidata_version,
        "free_text": free,
        "reason_message": checks.unprintable_problem("x\u202e", subject=checks.REASON_SUBJECT).message,
        "rupiah": [{"value": text, "expected": _rupiah(text)} for text in RUPIAH_INPUTS],
        "rupiah_problems": number_text.RUPIAH_PROBLEMS,
        # the rule's categories (tests/unit/test_checks.py holds the rule to them)
        "refused": _code_ranges("".join(refused)),
        "unassigned": _code_ranges("".join("1" if c == "Cn" else "0" for c in categories)),
    }


def render(cases, ascii_only: bool = False) -> str:
    """The JSON file's text (stable, reviewable diffs); ``ascii_only`` writes every
    other character as an escape (the invisible and direction characters of the typed
    cases stay visible in a diff, and a file never reorders its own text)."""
    return json.dumps(cases, ensure_ascii=ascii_only, indent=1) + "\n"


if __name__ == "__main__":
    CASES_FILE.write_text(render(build_cases()), encoding="utf-8")
    DEDUPE_FILE.write_text(render(build_dedupe_cases()), encoding="utf-8")
    TYPED_FILE.write_text(render(build_typed_cases(), ascii_only=True), encoding="utf-8")
    print(f"wrote {CASES_FILE}, {DEDUPE_FILE} and {TYPED_FILE}")
