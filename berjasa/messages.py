"""Validation messages in Bahasa Indonesia that carry a stable English code, shared by
the kelurahan server's and central's schemas (berjasa.web.arguments routes them into
the one error shape).

marshmallow keeps only message text, so each coded message registers its text
once; the error handler looks the code up by text. Messages raised by our own
validators are :class:`Coded` strings, which keep their code as an attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

_CODES: dict[str, str] = {}


class Coded(str):
    """A message string that knows its code."""

    code: str

    def __new__(cls, text: str, code: str) -> Self:
        obj = super().__new__(cls, text)
        obj.code = code
        _CODES.setdefault(text, code)
        return obj

    def __reduce__(self) -> tuple[type[Coded], tuple[str, str]]:
        """Copies (marshmallow and flask-smorest deep-copy schemas) keep the code."""
        return (Coded, (str(self), self.code))


def coded(text: str, code: str) -> Coded:
    """Register and return a coded message (no ``{}`` placeholders: marshmallow
    formats field messages, which would change the text)."""
    return Coded(text, code)


def code_of(message: Any) -> str:
    """The code of a message produced by a schema."""
    return getattr(message, "code", None) or _CODES.get(str(message), "invalid")


REQUIRED = coded("Wajib diisi.", "required")
NULL = coded("Tidak boleh kosong (null).", "required")
NOT_TEXT = coded("Harus berupa teks.", "not_text")
NOT_OBJECT = coded("Harus berupa objek JSON.", "not_object")
UNKNOWN_FIELD = coded("Kolom ini tidak dikenal; hapus kolom ini.", "unknown_field")
NOT_INTEGER = coded("Harus bilangan bulat (rupiah, tanpa titik atau koma).", "not_integer")
NOT_BOOLEAN = coded("Harus true atau false.", "not_boolean")
NOT_NUMBER = coded("Harus berupa angka.", "not_number")
NOT_LIST = coded("Harus berupa daftar (JSON array).", "not_list")
BAD_DATE = coded("Tanggal tidak valid; gunakan format TTTT-BB-HH yang benar (mis. 1980-03-12).",
                 "invalid_date")
BAD_DATETIME = coded("Waktu tidak valid; gunakan ISO-8601 dengan zona waktu "
                     "(mis. 2026-11-25T09:30:00+08:00).", "invalid_datetime")
BAD_UUID = coded("ID harus UUID (dibuat oleh aplikasi).", "invalid_uuid")
BAD_CHOICE = coded("Pilihan tidak dikenal.", "invalid_choice")


def flatten_errors(messages: Any, prefix: str = "") -> tuple[dict[str, list[str]],
                                                              dict[str, list[str]]]:
    """marshmallow's nested messages as ``{"consent.given": [...]}`` plus the
    matching codes. Errors about the body itself are under ``_body``."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "_body" if key == "_schema" and not prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            if key == "_schema" and prefix:
                name = prefix
            sub_errors, sub_codes = flatten_errors(value, name)
            for field, texts in sub_errors.items():
                errors.setdefault(field, []).extend(texts)
                codes.setdefault(field, []).extend(sub_codes[field])
    elif isinstance(messages, list):
        field = prefix or "_body"
        for item in messages:
            if isinstance(item, (dict, list)):
                sub_errors, sub_codes = flatten_errors(item, field)
                for f, texts in sub_errors.items():
                    errors.setdefault(f, []).extend(texts)
                    codes.setdefault(f, []).extend(sub_codes[f])
            else:
                errors.setdefault(field, []).append(str(item))
                codes.setdefault(field, []).append(code_of(item))
    else:
        field = prefix or "_body"
        errors.setdefault(field, []).append(str(messages))
        codes.setdefault(field, []).append(code_of(messages))
    return errors, codes
