"""Flash notices that put no personal data into the session cookie (issue 13
item 10).

Flask keeps flashed messages in the signed, *readable* session cookie. A notice
such as "Sitti Rahmawati: Disetujui" would carry a worker's name through every
browser, proxy log and crash dump that sees the cookie. The cookie therefore
holds only a reference (a record id or user id and a status word); the text,
with the name, is rendered on the server when the next page is shown.
"""

from __future__ import annotations

from flask import flash, get_flashed_messages

from berjasa.problems import Problem
from berjasa.web import notices
from server import intake, user_admin
from server.db import get_db
from server.http import current_actor
from server.pages import labels


def record_decided(record_id: str, status: str) -> None:
    """Queue "<name>: <status>" for the next page (only the id in the cookie)."""
    flash(f"record|{record_id}|{status}")


def _text(message: str) -> str | None:
    kind, _, rest = message.partition("|")
    ref, _, word = rest.partition("|")
    if kind == "record":
        status = labels.STATUS_LABELS.get(word, word)
        try:
            record = intake.visible_record(get_db(), ref, current_actor())
        except Problem:
            return f"Data diputuskan: {status}."
        return f"{record['full_name']}: {status}."
    return notices.user_text(message, lambda user_id: user_admin.username(get_db(), user_id))


def texts() -> list[str]:
    """The notices waiting for this session, as text (read once)."""
    return [text for text in map(_text, get_flashed_messages()) if text]
