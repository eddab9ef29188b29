"""Central's page sessions: the shared :mod:`berjasa.web.sessions` over central's
own session table (:mod:`central.storage.users`)."""

from __future__ import annotations

from berjasa.web.sessions import PageSessions
from central.storage import users as store

PAGE_SESSIONS = PageSessions(store)
start = PAGE_SESSIONS.start
current_user = PAGE_SESSIONS.current_user
end = PAGE_SESSIONS.end
end_for_user = PAGE_SESSIONS.end_for_user
