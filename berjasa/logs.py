"""Logging that never writes a NIK or KK in clear (UU PDP; design.md).

Any 16 digits that read as one number (a NIK or KK, also inside URLs such as
``?q=``) are masked as ``737101******0001`` by a filter on every handler berjasa
installs. "Read as one number" covers every form the search box accepts and the
ways a URL carries them: digit groups separated by spaces, tabs, non-breaking
spaces, dashes (also Unicode dashes), dots, slashes, underscores or ``+``; the same
separators and the digits themselves percent-encoded (``%20``, ``%2D``, ``%37``);
and non-ASCII decimal digits (fullwidth ``７``, Arabic-Indic ``٧``...). A run of
17 or more plain digits is not a NIK and stays as it is.
"""

from __future__ import annotations

import logging
import re
import unicodedata

_SEPARATOR = r"[\s\-.+_/\u2010-\u2015\u2212\u30fc\uff0d\uff0e]"
SIXTEEN_DIGITS = re.compile(rf"(?<!\d)(\d(?:{_SEPARATOR}{{0,3}}\d){{15}})(?!\d)")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decoded_units(text: str) -> tuple[str, list[int]]:
    """``text`` with percent-escapes decoded (as UTF-8 where they form it) and, for
    each decoded character, where it starts in ``text`` (plus the end)."""
    chars: list[str] = []
    starts: list[int] = []
    position = 0
    for match in _PERCENT.finditer(text):
        for k in range(position, match.start()):
            chars.append(text[k])
            starts.append(k)
        raw, offset = bytes.fromhex(match[0].replace("%", "")), match.start()
        index = 0
        while index < len(raw):
            for width in (1, 2, 3, 4):
                try:
                    char = raw[index:index + width].decode("utf-8")
                except UnicodeDecodeError:
                    continue
                break
            else:
                char, width = "\ufffd", 1
            chars.append(char)
            starts.append(offset + 3 * index)
            index += width
        position = match.end()
    for k in range(position, len(text)):
        chars.append(text[k])
        starts.append(k)
    starts.append(len(text))
    return "".join(chars), starts


def _masked_digits(span: str) -> str:
    digits = "".join(str(unicodedata.digit(c)) for c in span if c.isdecimal())
    return f"{digits[:6]}******{digits[-4:]}"


def mask_identity_numbers(text: str) -> str:
    """Replace the middle of every 16-digit number, in any form the search
    accepts, with asterisks."""
    if "%" not in text:
        return SIXTEEN_DIGITS.sub(lambda m: _masked_digits(m[1]), text)
    decoded, starts = _decoded_units(text)
    pieces, position = [], 0
    for match in SIXTEEN_DIGITS.finditer(decoded):
        begin, end = starts[match.start()], starts[match.end()]
        pieces += [text[position:begin], _masked_digits(match[1])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


class MaskIdentityNumbers(logging.Filter):
    """Masks NIK/KK in the final message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_identity_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_identity_numbers(
                logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_MASK = MaskIdentityNumbers()


def get_logger(name: str) -> logging.Logger:
    """A logger that masks NIK/KK itself, whatever handler ends up writing it."""
    logger = logging.getLogger(name)
    if _MASK not in logger.filters:
        logger.addFilter(_MASK)
    return logger


def configure_logging(level: str = "INFO") -> None:
    """One stderr handler with the mask, for the CLI entry points."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_MASK)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
