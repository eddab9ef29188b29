"""Person names and phone numbers: normalised as the contract says, or refused with
a stable code and a message naming what is wrong."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from berjasa.identity import IdentityError, normalise_person_name, normalise_phone
from tests.helpers import examples

PROPERTY = settings(max_examples=examples(200), deadline=None)


def refusal(function, value) -> IdentityError:
    """The IdentityError ``function`` raises for ``value``."""
    with pytest.raises(IdentityError) as caught:
        function(value)
    return caught.value


# --- names ------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("Andi Baso", "Andi Baso"),
    ("  Andi    Baso  ", "Andi Baso"),
    ("Andi\u00a0\u00a0Baso", "Andi Baso"),                    # no-break spaces
    ("aNDI baso", "aNDI baso"),                               # case kept as typed
    ("Daeng Ma\u2019ruf", "Daeng Ma\u2019ruf"),
    ("Sitti Nur-Aini, S.Pd.", "Sitti Nur-Aini, S.Pd."),
    ("A. Muh. Ilham O'Neil", "A. Muh. Ilham O'Neil"),
    ("Jose\u0301", "Jos\u00e9"),                              # NFC
    ("\u1a15\u1a02\u1a17 \u1a05\u1a14\u1a1a", "\u1a15\u1a02\u1a17 \u1a05\u1a14\u1a1a"),
    ("\u1a15\u1a02\u1a17\u1a1e\u1a05\u1a14\u1a19\u1a1b\u1a18\u1a1f",
     "\u1a15\u1a02\u1a17\u1a1e\u1a05\u1a14\u1a19\u1a1b\u1a18\u1a1f"),   # Lontara marks
    ("\u0645\u062d\u0645\u062f", "\u0645\u062d\u0645\u062f"),  # Arabic
    ("\u6797\u7f8e", "\u6797\u7f8e"),                         # Han
    ("Andi\n", "Andi"),                                       # outer whitespace trimmed
    ("a" * 100, "a" * 100),
])
def test_names_kept_as_typed(typed, stored):
    assert normalise_person_name(typed) == stored


@pytest.mark.parametrize("typed, code, named", [
    (None, "name_required", None),
    ("", "name_required", None),
    ("   \u00a0 ", "name_required", None),
    ("Andi 2", "name_invalid_characters", "'2'"),
    ("Andi \u0663", "name_invalid_characters", "'\u0663'"),   # Arabic-Indic digit
    ("<script>alert(1)</script>", "name_invalid_characters", "'<'"),
    ("Andi>", "name_invalid_characters", "'>'"),
    ("Andi \U0001F600", "name_invalid_characters", "'\U0001F600'"),
    ("Andi \u2764\ufe0f", "name_invalid_characters", "U+FE0F"),
    ("Andi\x00Baso", "name_invalid_characters", "U+0000"),
    ("Andi\tBaso", "name_invalid_characters", "U+0009"),
    ("Andi\u200bBaso", "name_invalid_characters", "U+200B"),
    ("Andi_Baso", "name_invalid_characters", "'_'"),
    ("Andi \u2167", "name_invalid_characters", "'\u2167'"),   # Roman numeral, not a letter
    ("...", "name_invalid_characters", None),
    ("- ' ,", "name_invalid_characters", None),
    (123, "name_invalid_characters", None),
    ("a" * 101, "name_too_long", "101"),
    ("a " * 50 + "b", "name_too_long", None),
])
def test_bad_names(typed, code, named):
    error = refusal(normalise_person_name, typed)
    assert error.code == code and error.message
    if named:
        assert named in error.message


LETTERS_AND_MARKS = st.characters(categories=["L", "M"]).filter(
    lambda c: not 0xFE00 <= ord(c) <= 0xFE0F and not 0xE0100 <= ord(c) <= 0xE01EF)
WORD = st.text(st.one_of(LETTERS_AND_MARKS, st.sampled_from(".,'\u2019-")), min_size=1,
               max_size=7)
GAP = st.sampled_from([" ", "  ", "\u00a0", " \u2007 "])
BAD = st.one_of(st.characters(categories=["Nd"]), st.sampled_from(
    ["<", ">", "\U0001F600", "\U0001F64F", "\u2764", "\x00", "\x1b", "\u200b", "_", "@"]))


@st.composite
def names(draw):
    """Names made only of allowed characters, with sloppy spacing."""
    words = draw(st.lists(WORD, min_size=1, max_size=4))
    text = words[0]
    for word in words[1:]:
        text += draw(GAP) + word
    assume(any(unicodedata.category(c)[0] == "L" for c in text))
    return draw(GAP) + text + draw(GAP)


@PROPERTY
@given(names())
def test_allowed_names_pass_and_normalising_is_idempotent(typed):
    stored = normalise_person_name(typed)
    assert normalise_person_name(stored) == stored
    assert stored == unicodedata.normalize("NFC", stored) == stored.strip()
    assert "  " not in stored
    # Nothing but spacing changed: the non-space characters are the typed ones.
    squeeze = lambda s: "".join(c for c in unicodedata.normalize("NFC", s) if not c.isspace())
    assert squeeze(stored) == squeeze(typed)


@PROPERTY
@given(names(), BAD, st.data())
def test_inserting_a_forbidden_character_anywhere_fails(typed, bad, data):
    position = data.draw(st.integers(0, len(typed)))
    error = refusal(normalise_person_name, typed[:position] + bad + typed[position:])
    assert error.code == "name_invalid_characters"
    assert f"'{bad}'" in error.message or f"U+{ord(bad):04X}" in error.message


@PROPERTY
@given(names(), names(), st.sampled_from(["\t", "\n", "\r", "\x0b", "\x0c"]))
def test_a_tab_or_line_break_inside_a_name_is_refused_at_its_ends_trimmed(first, second, control):
    """A name is one line (its cell in every export): a tab or a line break between
    its words is refused, named by its code, never collapsed into a space; at either
    end it is trimmed like a space (nothing of it is stored)."""
    error = refusal(normalise_person_name, first.strip() + control + second.strip())
    assert error.code == "name_invalid_characters" and f"U+{ord(control):04X}" in error.message
    assert normalise_person_name(control + first + control) == normalise_person_name(first)


@PROPERTY
@given(names(), st.characters(categories=["Cf"]), st.data())
def test_a_format_character_anywhere_in_a_name_fails_naming_its_code(typed, invisible, data):
    """Names are letters, marks, spaces and . , ' ’ - (design.md): an invisible format
    character (U+202E, U+200B, U+FEFF, a tag...) is none of these, the joiners free
    text keeps (ZWNJ, ZWJ) included: a KTP name is never written with them."""
    position = data.draw(st.integers(0, len(typed)))
    error = refusal(normalise_person_name, typed[:position] + invisible + typed[position:])
    assert error.code == "name_invalid_characters"
    assert f"U+{ord(invisible):04X}" in error.message


@pytest.mark.parametrize("invisible", ["\u202e", "\u202d", "\u2066", "\u2069", "\u200e", "\u200f",
                                       "\u061c", "\u2060", "\ufeff", "\u00ad", "\u200c", "\u200d",
                                       "\U000e0041"])
def test_direction_and_invisible_characters_are_refused_in_names(invisible):
    error = refusal(normalise_person_name, f"Andi{invisible} Baso")
    assert error.code == "name_invalid_characters" and f"U+{ord(invisible):04X}" in error.message


@PROPERTY
@given(st.text(max_size=120))
def test_any_text_is_normalised_or_refused_with_a_known_code(typed):
    try:
        stored = normalise_person_name(typed)
    except IdentityError as error:
        assert error.code in {"name_required", "name_invalid_characters", "name_too_long"}
    else:
        assert normalise_person_name(stored) == stored and 0 < len(stored) <= 100


# --- phones -----------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("0812-3456-789", "+628123456789"),
    ("0812 3456 789", "+628123456789"),
    ("0812.3456.789", "+628123456789"),
    ("+62 812 3456 789", "+628123456789"),
    ("+62-812-3456-789", "+628123456789"),
    ("628123456789", "+628123456789"),
    ("+62 (0)812 3456 789", "+628123456789"),
    (" 081234567890 ", "+6281234567890"),
    ("(0411) 361234", "+62411361234"),
    ("0411-3612345", "+624113612345"),
    ("+62 411 3612345", "+624113612345"),
    ("0812345678", "+62812345678"),              # 9 digits after the 0
    ("08123456789012", "+628123456789012"),      # 13 digits after the 0
])
def test_phones_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", [
    None, "", "   ", 81234567890, "812345678", "081234567", "081234567890123",
    "+620812345678", "62 0812345678", "0012345678", "0112345678", "08123abc567",
    "0812/3456/789", "+6281234567+8", "++628123456789", "0812-3456-789 ext 2",
    "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", "+1 415 555 0100",
])
def test_bad_phones(typed):
    error = refusal(normalise_phone, typed)
    assert error.code == "phone_invalid" and "0812" in error.message


def test_phone_message_says_what_is_wrong():
    assert "7 digit" in refusal(normalise_phone, "08123456").message
    assert "diawali" in refusal(normalise_phone, "8123456789").message


SEPARATOR = st.sampled_from(["", "", " ", "-", ".", "\u00a0"])


@st.composite
def spaced(draw, digits: str) -> str:
    """``digits`` with random separators between them, the way people type."""
    return "".join(d + draw(SEPARATOR) for d in digits[:-1]) + digits[-1]


@st.composite
def mobile_numbers(draw):
    """A mobile number after the trunk 0: 8 then 8-11 digits."""
    return "8" + draw(st.text("0123456789", min_size=8, max_size=11))


@PROPERTY
@given(mobile_numbers(), st.data())
def test_every_mobile_format_gives_the_same_number(national, data):
    typed = [
        "0" + data.draw(spaced(national)),
        "+62" + data.draw(SEPARATOR) + data.draw(spaced(national)),
        "62" + data.draw(spaced(national)),
        f"(0{national[:3]}) " + data.draw(spaced(national[3:])),
        "+62 (0)" + data.draw(spaced(national)),
    ]
    assert {normalise_phone(t) for t in typed} == {"+62" + national}
    assert normalise_phone("+62" + national) == "+62" + national


@PROPERTY
@given(st.text("0123456789", min_size=6, max_size=7), st.data())
def test_makassar_landlines(number, data):
    assert normalise_phone("(0411) " + data.draw(spaced(number))) == "+62411" + number
    assert normalise_phone("0411-" + number) == "+62411" + number


@PROPERTY
@given(mobile_numbers(), st.sampled_from(["a", "x", "/", "#", "*", "+", "_"]), st.data())
def test_a_stray_character_is_refused(national, char, data):
    position = data.draw(st.integers(1, len(national)))
    typed = "0" + national[:position] + char + national[position:]
    assert refusal(normalise_phone, typed).code == "phone_invalid"


def _outcome(normalise, value):
    try:
        return normalise(value)
    except IdentityError as exc:
        return exc.code


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet="aZ .,'-\t\u00a0\u00e9\u2019", max_size=110))
def test_the_quick_path_for_plain_names_answers_as_the_full_one(text):
    from berjasa.identity.names import _normalise_any_name

    assert _outcome(normalise_person_name, text) == _outcome(_normalise_any_name, text)


@PROPERTY
@given(st.text(alphabet="AbCdeFGhijKlmnOpqRSTuvWxyZ '.-", max_size=40))
def test_the_search_key_of_a_plain_name_folds_case_and_space_runs(name):
    """The kelurahan's name_key takes a short way for ASCII letters between single
    spaces; every ASCII name still folds as the general rule does."""
    import re

    from server.storage.enrollments import _NAME_FOLD, name_key

    general = name if name.replace(" ", "").isalpha() else name.translate(_NAME_FOLD)
    assert name_key(name) == re.sub(r"\s+", " ", general.casefold()).strip()
