"""A NIK erased here at its owner's request, met again at intake (docs/privacy.md,
section 4, "Orang yang sudah dihapus, datang lagi").

Erasure is keyed by record id, so another record of the same person is new data
to the register. Which one it is, the times tell: a record captured (and consented
to) before the erasure is a copy the person withdrew, still waiting in a phone's
outbox, and is refused (409 ``erased``, telling the enumerator the date and to
delete it from the phone); one captured after it carries a new consent and is
accepted, with a warning for the supervisor ("NIK ini pernah dihapus atas permintaan
pada ..."), which an approval records as overridden like any identity warning.

The kelurahan knows its erasures by the NIK's keyed pseudonym
(``privacy_erasures.pseudonym``, indexed): intake computes the pseudonyms of a
whole batch and looks them up in one statement. Retention purges (a record
rejected long ago) are not requests and are left out.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.erasure import captured_before
from berjasa.local_time import wita
from berjasa.problems import RecordErased
from berjasa.pseudonyms import key_for_connection, pseudonyms
from server.privacy import RETENTION_ACTOR
from server.storage import privacy as privacy_store

WARNING_CODE = "nik_erased_before"


def erasure_times(conn: sqlite3.Connection, niks: list[str]) -> dict[str, str]:
    """{NIK: when it was last erased here at a request} for the NIKs of ``niks``
    erased before (usually none): one look whether any erasure is held at all, then
    the NIKs' keyed pseudonyms and one indexed lookup for the lot."""
    if not niks or not privacy_store.any_erasure(conn, RETENTION_ACTOR.username):
        return {}
    by_alias = {alias: nik for nik, alias in
                pseudonyms(key_for_connection(conn), dict.fromkeys(niks)).items()}
    times = privacy_store.erasure_times(conn, list(by_alias), RETENTION_ACTOR.username)
    return {by_alias[alias]: at for alias, at in times.items()}


def refusal(erased_at: str) -> RecordErased:
    """The 409 for a record captured before its owner's erasure."""
    return RecordErased(
        f"Orang dengan NIK ini meminta datanya dihapus pada {wita(erased_at)} (UU PDP). Data "
        "ini dicatat sebelum itu, jadi tidak diterima: hapus data ini dari HP. Bila orang itu "
        "setuju didata lagi, catat sebagai data baru dengan persetujuan baru.",
        erased_at=erased_at)


def warning(erased_at: str) -> dict[str, str]:
    """The review page's warning on a record captured after its NIK's erasure."""
    return {"field": "nik", "code": WARNING_CODE,
            "message": f"NIK ini pernah dihapus atas permintaan pada {wita(erased_at)}. Data ini "
                       "dicatat sesudahnya: pastikan orang itu memang memberi persetujuan baru."}


def judge(values: dict[str, Any], erased_at: str | None) -> RecordErased | dict[str, str] | None:
    """For a record whose NIK was erased at ``erased_at`` (None: never): the refusal,
    or the warning to keep with it; None when the NIK was never erased here."""
    if erased_at is None:
        return None
    return refusal(erased_at) if captured_before(values, erased_at) else warning(erased_at)


def warnings_for(conn: sqlite3.Connection, values: dict[str, Any]) -> list[dict[str, str]]:
    """An edit's check of its NIK (a NIK changed to an erased person's): the warning
    to keep, or RecordErased raised; [] for a NIK never erased here."""
    found = judge(values, erasure_times(conn, [values["nik"]]).get(values["nik"]))
    if isinstance(found, RecordErased):
        raise found
    return [found] if found else []
