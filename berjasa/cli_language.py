"""click's own messages (usage errors, prompts, help headings) in Bahasa Indonesia.

Everything berjasa prints is in the operators' language, but click writes some lines
itself: "Error: Missing argument 'PATH'.", "Try 'berjasa --help' for help.",
"Repeat for confirmation". click marks these for translation with
``gettext.gettext``/``ngettext`` imported into each of its modules; gettext would
pick a catalog from the LANGUAGE/LANG environment, which a Windows laptop does not
set. So the catalog is this dict, keyed by click's message ids, and
:func:`use_indonesian` points those modules' ``_``/``ngettext`` at it. A message
missing here stays English, and tests/cli/test_message_language.py fails on it.
"""

from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

# click message id -> Indonesian, with the same {placeholders} (unused ones may go).
MESSAGES: dict[str, str] = {
    # exceptions.py
    "Error: {message}": "Galat: {message}",
    "Try '{command} {option}' for help.": "Coba '{command} {option}' untuk bantuan.",
    "Invalid value for {param_hint}: {message}": "Nilai tidak sah untuk {param_hint}: {message}",
    "Invalid value: {message}": "Nilai tidak sah: {message}",
    "Missing argument": "Argumen belum diisi",
    "Missing option": "Opsi belum diisi",
    "Missing parameter": "Parameter belum diisi",
    "Missing {param_type}": "{param_type} belum diisi",
    "Missing parameter: {param_name}": "Parameter belum diisi: {param_name}",
    "No such option {name!r}.": "Tidak ada opsi {name!r}.",
    "No such command {name!r}.": "Tidak ada perintah {name!r}.",
    "Could not open file {filename!r}: {message}": "Berkas {filename!r} tidak dapat dibuka: {message}",
    "unknown error": "galat tidak dikenal",
    # core.py
    "Missing command.": "Perintah belum diisi.",
    "Aborted!": "Dibatalkan.",
    "Options": "Opsi",
    "Commands": "Perintah",
    "Value must be an iterable.": "Nilai harus berupa daftar.",
    "env var: {var}": "variabel lingkungan: {var}",
    "default: {default}": "bawaan: {default}",
    "required": "wajib",
    "(dynamic)": "(dinamis)",
    "deprecated": "usang",
    # types.py
    "file": "berkas",
    "directory": "folder",
    "path": "jalur",
    "Choose from:\n\t{choices}": "Pilih salah satu:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} di luar rentang {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} bukan angka yang sah.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} bukan nilai ya/tidak yang sah. Yang dikenal: {states}",
    "{value!r} is not a valid UUID.": "{value!r} bukan UUID yang sah.",
    "{name} {filename!r} is a file.": "{name} {filename!r} adalah berkas, bukan folder.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} adalah folder, bukan berkas.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} tidak dapat dibaca.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} tidak dapat ditulisi.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} tidak dapat dijalankan.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} tidak ada.",
    # decorators.py and termui.py
    "Do you want to continue?": "Lanjutkan?",
    "Confirm the action without prompting.": "Lanjutkan tanpa bertanya.",
    "%(prog)s, version %(version)s": "%(prog)s, versi %(version)s",
    "Show the version and exit.": "Tampilkan versi lalu keluar.",
    "Show this message and exit.": "Tampilkan bantuan ini lalu keluar.",
    "Press any key to continue...": "Tekan tombol apa saja untuk melanjutkan...",
    "Repeat for confirmation": "Ulangi untuk konfirmasi",
    "Error: The two entered values do not match.": "Galat: kedua isian tidak sama.",
    "Error: invalid input": "Galat: isian tidak sah",
    # parser.py and formatting.py
    "Option {name!r} does not take a value.": "Opsi {name!r} tidak menerima nilai.",
    "Argument {name!r} takes {nargs} values.": "Argumen {name!r} perlu {nargs} nilai.",
    "Usage:": "Penggunaan:",
}

# (singular id, plural id) -> (singular, plural)
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Ada argumen berlebih ({args})", "Ada argumen berlebih ({args})"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} bukan {choice}.", "{value!r} bukan salah satu dari {choices}."),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Mungkin maksud Anda {possibility}?",
         "(Mungkin maksud Anda salah satu dari: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Opsi {name!r} perlu nilai.", "Opsi {name!r} perlu {nargs} nilai."),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Perlu {nargs} nilai, diberikan 1.", "Perlu {nargs} nilai, diberikan {len}."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("Perlu {len_type} nilai, diberikan {len_value}.",
         "Perlu {len_type} nilai, diberikan {len_value}."),
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        ("{value!r} tidak sesuai format {format}.", "{value!r} tidak sesuai format {formats}."),
}

_CLICK_MODULES = (click.core, click.exceptions, click.types, click.decorators, click.termui,
                  click.parser, click.formatting)


def gettext(message: str) -> str:
    """The Indonesian text of a click message id (the id itself when unknown)."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The Indonesian singular or plural of a click message pair."""
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if count == 1 else many


def use_indonesian() -> None:
    """Make click write its own messages in Bahasa Indonesia (idempotent). Call
    before commands are defined: ``click.Path`` names its kind ("berkas") when made."""
    for module in _CLICK_MODULES:
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
