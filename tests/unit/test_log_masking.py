"""NIK in logs (issue 13 item 11): every form the search box accepts, and the
ways a URL carries it, is masked; hypothesis builds the forms."""

from __future__ import annotations

import logging
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.logs import get_logger, mask_identity_numbers
from tests.helpers import examples

SEPARATORS = [" ", "  ", "\t", "\u00a0", "-", " - ", ".", "/", "_", "\u2013", "\u2212", "\u3000"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

niks = st.text(alphabet="0123456789", min_size=16, max_size=16)


@st.composite
def written_forms(draw):
    """A NIK as a person may type it into q=: digit groups and separators."""
    nik = draw(niks)
    cuts = sorted(draw(st.sets(st.integers(1, 15), max_size=6)))
    parts, start = [], 0
    for cut in [*cuts, 16]:
        parts.append(nik[start:cut])
        start = cut
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + part
    script = draw(st.sampled_from(["ascii", "fullwidth", "arabic"]))
    text = text.translate(FULLWIDTH if script == "fullwidth" else
                          ARABIC if script == "arabic" else {})
    carried = draw(st.sampled_from(["plain", "quote", "quote_plus", "all"]))
    if carried == "quote":
        text = quote(text)
    elif carried == "quote_plus":
        text = quote_plus(text)
    elif carried == "all":
        text = "".join(f"%{b:02X}" for b in text.encode())
    return nik, text


def _leaks(nik: str, output: str) -> bool:
    """Does the output still hold the NIK's middle six digits in any spelling?"""
    import unicodedata
    from urllib.parse import unquote_plus

    flat = "".join(str(unicodedata.digit(c)) if c.isdecimal() else c
                   for c in unquote_plus(output))
    digits = "".join(c for c in flat if c.isdigit() or c == "*")
    return nik[6:12] in digits.replace(nik[:6] + "******" + nik[12:], "")


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(written_forms(), st.sampled_from(["GET /api/v1/enrollments?q=", "cari ", "q=", "("]),
       st.sampled_from(["", "&status=submitted", " HTTP/1.1", ")", " oleh siti"]))
def test_every_spelling_of_a_nik_is_masked(form, before, after):
    nik, text = form
    if "%" in text and before.endswith("("):
        before = "q="
    output = mask_identity_numbers(before + text + after)
    assert not _leaks(nik, output), output


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(written_forms())
def test_logger_masks_what_the_search_accepts(form):
    nik, text = form
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    log = get_logger("berjasa.test.masking")
    handler = Keep()
    log.addHandler(handler)
    try:
        log.warning("GET /api/v1/enrollments?q=%s", text)
    finally:
        log.removeHandler(handler)
    assert records and not _leaks(nik, records[0]), records[0]


def test_other_numbers_stay_readable():
    assert mask_identity_numbers("2026-11-25 21:09:55 batch 12 of 40") == (
        "2026-11-25 21:09:55 batch 12 of 40")
    assert mask_identity_numbers("73710141019000011") == "73710141019000011"
    assert mask_identity_numbers("q=7371 0141 0190 0001") == "q=737101******0001"


WHITESPACE = [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1f"]


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(niks, st.lists(st.lists(st.sampled_from(WHITESPACE), min_size=0, max_size=12),
                      min_size=15, max_size=15),
       st.sampled_from(["plain", "quote_plus"]))
def test_any_run_of_whitespace_the_search_drops_is_masked(nik, gaps, carried):
    """The search reads q= as a NIK after dropping every whitespace character
    (``"".join(q.split())``, server/storage/enrollment_lists.py), however many sit
    between two digits; the mask must follow it (four spaces got through)."""
    text = nik[0] + "".join("".join(gap) + digit for gap, digit in zip(gaps, nik[1:]))
    assert "".join(text.split()) == nik  # a form the search takes as this NIK
    if carried == "quote_plus":
        text = quote_plus(text)
    output = mask_identity_numbers("GET /api/v1/enrollments?q=" + text + " HTTP/1.1")
    assert not _leaks(nik, output), output


def test_four_spaces_and_four_pluses_are_masked():
    for text in ("q=7371    0141 0190 0001", "q=7371++++0141+0190+0001",
                 "q=7371%20%20%20%20014101900001", "q=7371 \t \n 0141 0190 0001"):
        assert mask_identity_numbers(text).endswith("737101******0001"), text


def test_a_record_id_whose_last_groups_are_digits_is_kept_whole():
    """A UUID ending "-8386-241234561189" read as a NIK with a hyphen in it: the log
    line showed "838624******1189", so it could not be matched to the record."""
    from berjasa.logs import mask_identity_numbers

    record = "8b26f4aa-0602-4907-8386-241234561189"
    assert mask_identity_numbers(f"record {record} disetujui") == f"record {record} disetujui"
    assert mask_identity_numbers(f"/enrollments/{record}?q=7371014101900001") == \
        f"/enrollments/{record}?q=737101******0001"
