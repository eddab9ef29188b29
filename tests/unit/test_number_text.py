"""Numbers on pages and in messages as Indonesian readers write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berjasa.number_text import RupiahUnreadable, decimal, parse_rupiah, rupiah, thousands


def test_examples():
    assert thousands(81466) == "81.466" and thousands(0) == "0" and thousands(None) == "0"
    assert thousands(-1234567) == "-1.234.567" and thousands("") == ""
    assert rupiah(3880000) == "Rp3.880.000" and rupiah(None) == "Rp0"
    assert decimal(0.3) == "0,3" and decimal(100) == "100,0" and decimal(12345.67) == "12.345,7"
    assert decimal(2 / 3, 2) == "0,67" and decimal(None) == "0,0" and decimal("") == ""


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_thousands_reads_back(number):
    text = thousands(number)
    assert int(text.replace(".", "")) == number
    groups = text.lstrip("-").split(".")
    assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_decimal_reads_back_to_the_rounded_value(value):
    text = decimal(value)
    whole, _, fraction = text.partition(",")
    assert len(fraction) == 1 and "," not in whole
    assert float(whole.replace(".", "") + "." + fraction) == float(f"{value:.1f}")


@pytest.mark.parametrize("text,amount", [
    ("2100000", 2_100_000), ("2.100.000", 2_100_000), ("Rp 2.100.000", 2_100_000),
    ("2.100.000,00", 2_100_000), ("2.100.000,0", 2_100_000), ("Rp2.100.000,00", 2_100_000),
    ("Rp. 2.100.000,-", 2_100_000), ("rp 2.100.000.-", 2_100_000), ("IDR 2100000", 2_100_000),
    ("2100000,00", 2_100_000), ("\u00a02 100 000\u202f", 2_100_000), ("0", 0), ("750.000", 750_000),
    ("", None), ("  ", None), (None, None), ("Rp", None),
])
def test_rupiah_as_indonesians_write_it(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text,problem", [
    ("2.100.000,50", "cents"), ("2100000,5", "cents"), ("2.100.000,05", "cents"),
    # a dot only between groups of three digits, a comma only before decimals: the rest
    # could be thousands or decimals
    ("2,100", "ambiguous"), ("2,100,000", "ambiguous"), ("2100000.00", "ambiguous"),
    ("2.100.000.00", "ambiguous"), ("2,100,000.00", "ambiguous"), ("21.00.000", "ambiguous"),
    ("2.100,000", "ambiguous"), ("2100000.5", "ambiguous"), ("2.1", "ambiguous"),
    ("dua juta", "invalid"), ("-2.100.000", "invalid"), ("2.100.000 Rp", "invalid"),
    ("1,5 juta", "invalid"), ("\u0662\u0661\u0660\u0660", "invalid"), ("1" * 13, "invalid"),
    # Rp/IDR are spelled out: a Turkish dotless or dotted I is no currency (as on the phone)
    ("\u0131dr 5", "invalid"), ("\u0130DR 5", "invalid"),
])
def test_rupiah_that_is_not_whole_or_not_clear_says_why(text, problem):
    with pytest.raises(RupiahUnreadable) as unreadable:
        parse_rupiah(text)
    assert unreadable.value.problem == problem and str(unreadable.value)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_rupiah_reads_back_what_pages_write(amount):
    for text in (str(amount), thousands(amount), rupiah(amount), rupiah(amount) + ",00",
                 "Rp " + thousands(amount) + ",-"):
        assert parse_rupiah(text) == amount


@given(st.text(max_size=24))
def test_rupiah_never_crashes(text):
    try:
        amount = parse_rupiah(text)
    except RupiahUnreadable:
        return
    assert amount is None or 0 <= amount < 10**12
