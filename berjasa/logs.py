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

import contextvars
import json
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

# Between two digits of a NIK: any run of whitespace (the search drops every
# whitespace character, however many: server/storage/enrollment_lists.py) or '+' (a
# space in a URL query), with up to three other separators among it.
_SPACE = r"[\s+]"
_OTHER_SEPARATOR = r"[\-._/\u2010-\u2015\u2212\u30fc\uff0d\uff0e]"
_GAP = rf"{_SPACE}*(?:{_OTHER_SEPARATOR}{_SPACE}*){{0,3}}"
SIXTEEN_DIGITS = re.compile(rf"(?<!\d)(\d(?:{_GAP}\d){{15}})(?!\d)")
# A record id (UUID) is no NIK, though its last groups may be 16 digits with a hyphen
# between ("...-8386-241234561189"): matched first and kept whole, so a log line
# still names the record it is about.
_UUID = r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"
_UUID_OR_SIXTEEN = re.compile(rf"({_UUID})|{SIXTEEN_DIGITS.pattern}")


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


def identity_digits(span: str) -> str:
    """The 16 ASCII digits of a number :data:`SIXTEEN_DIGITS` matched (gaps dropped,
    other scripts' digits read as their value)."""
    return "".join(str(unicodedata.digit(c)) for c in span if c.isdecimal())


def _masked_digits(span: str) -> str:
    digits = identity_digits(span)
    return f"{digits[:6]}******{digits[-4:]}"


def mask_identity_numbers(text: str,
                          replace: Callable[[str], str] = _masked_digits) -> str:
    """Replace the middle of every 16-digit number, in any form the search
    accepts, with asterisks (or, with ``replace``, each such number's span by what
    ``replace`` makes of it: the trail writes a keyed pseudonym). A record id (UUID)
    is left as written."""
    if "%" not in text:
        return _UUID_OR_SIXTEEN.sub(lambda match: match[1] or replace(match[2]), text)
    decoded, starts = _decoded_units(text)
    pieces, position = [], 0
    for match in _UUID_OR_SIXTEEN.finditer(decoded):
        if match[1]:
            continue  # a record id: left as written
        begin, end = starts[match.start()], starts[match.end()]
        pieces += [text[position:begin], replace(match[2])]
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


# --- structured logs (issue 13) -------------------------------------------------
#
# One JSON object per line (``log_format = "json"``, the default) or readable lines
# (``log_format = "text"``). Every line written while a request is served carries
# that request's id (``X-Request-Id``: taken from the caller when it sent a sane one,
# else made here). The phone sends one per send, the kelurahan logs it with the
# record ids it stored, the agent sends its own per batch and logs the record ids
# it put in, central logs the batch and the record ids it received: grep a record
# id (a UUID, not personal data) or a request id to follow a record end to end.
# Only ids, counts, paths without query strings, statuses and times are logged:
# never names, NIKs or other field values (and the NIK mask still runs on every
# finished line).

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                        default=None)
EXTRA_FIELDS = ("event", "method", "path", "status", "ms", "record_ids", "batch_id", "records",
                "result")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id(offered: str | None = None) -> str:
    """The caller's id when it looks like one, else a fresh one: 32 random hex
    digits (the shape ``uuid4().hex`` had, from ``secrets`` in a quarter of the
    time; nothing reads it but people grepping logs)."""
    if offered and _SANE_ID.match(offered):
        return offered
    return secrets.token_hex(16)


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, request id
    and the whitelisted ``extra`` fields; the finished line is NIK-masked."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return mask_identity_numbers(json.dumps(line, ensure_ascii=False, default=str))


class ReadableLines(logging.Formatter):
    """Readable lines with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        extras = " ".join(f"{name}={getattr(record, name)}" for name in EXTRA_FIELDS
                          if hasattr(record, name))
        text = super().format(record)
        return mask_identity_numbers(text + (f" [{request_id}]" if request_id else "")
                                     + (f" {extras}" if extras else ""))


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """One stderr handler with the mask, for the CLI entry points: JSON lines
    (``fmt="json"``) or readable lines (``fmt="text"``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(ReadableLines("%(asctime)s %(levelname)s %(name)s: %(message)s")
                         if fmt == "text" else JsonLines())
    handler.addFilter(_MASK)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
