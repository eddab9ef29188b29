"""Logging that never writes a NIK or KK in clear (UU PDP; design.md).

Any run of 16 digits (a NIK or KK, also inside URLs such as ``?q=``) is masked
as ``737101******0001`` by a filter on every handler berjasa installs.
"""

from __future__ import annotations

import logging
import re

SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{6})\d{6}(\d{4})(?!\d)")


def mask_identity_numbers(text: str) -> str:
    """Replace the middle of every 16-digit number with asterisks."""
    return SIXTEEN_DIGITS.sub(r"\1******\2", text)


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
