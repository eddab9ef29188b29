"""A role matrix as data, checked before every request: each app lists its public
endpoints and, for every other endpoint, the roles that may open it
(:mod:`server.access`, :mod:`central.access`). An endpoint in neither is refused
(fail closed)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request

from berjasa.problems import Forbidden, Unauthorized


@dataclass(frozen=True)
class RoleMatrix:
    """Who may open what in one app."""

    public: frozenset[str]
    routes: Mapping[str, frozenset[str]]

    def is_public(self, endpoint: str | None) -> bool:
        """Endpoints that need no login."""
        return endpoint in self.public

    def allowed(self, endpoint: str | None, role: str | None) -> bool:
        """True when ``role`` may open ``endpoint``."""
        if endpoint in self.public:
            return True
        return role is not None and role in self.routes.get(endpoint or "", frozenset())

    def require(self, user: dict[str, Any] | None, endpoint: str | None,
                log: logging.Logger) -> None:
        """401 without a caller; 403 (logged) when the caller's role may not."""
        if user is None:
            raise Unauthorized()
        if not self.allowed(endpoint, user["role"]):
            log.warning("refused %s %s for role %s", request.method, request.path, user["role"])
            raise Forbidden()
