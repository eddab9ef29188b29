"""Numbers on pages and in messages as Indonesian readers write them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from berjasa.number_text import decimal, rupiah, thousands


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
