"""The kelurahan's page sessions: the shared :mod:`berjasa.web.sessions` over the
server's session table (:mod:`server.storage.sessions`), and the audited sign-out."""

from __future__ import annotations

import sqlite3

from berjasa.database import transaction
from berjasa.web.sessions import PageSessions
from server.storage import sessions as store
from server.storage.audit import Actor, record_audit_entry

PAGE_SESSIONS = PageSessions(store)
start = PAGE_SESSIONS.start
current_user = PAGE_SESSIONS.current_user
end_for_user = PAGE_SESSIONS.end_for_user


def sign_out(conn: sqlite3.Connection, actor: Actor) -> None:
    """End this request's page session and write ``logout`` to the trail, together."""
    with transaction(conn):
        PAGE_SESSIONS.end(conn)
        record_audit_entry(conn, actor, "logout")
