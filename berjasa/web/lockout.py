"""The lockout rule for failed logins, shared by the kelurahan and central: a
login is refused with 429 after ``login_max_failures`` failures for one user or
one address within ``login_window_minutes``, for ``login_lockout_minutes`` after
the last of them. The failures come from each app's own storage."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from berjasa.problems import TooManyAttempts


def locked_until(failures: list[str], settings: dict[str, Any]) -> datetime | None:
    """When a lockout ends, if the latest failures (newest first) form a lockout burst."""
    if len(failures) < settings["login_max_failures"]:
        return None
    newest, oldest = (datetime.fromisoformat(failures[0]), datetime.fromisoformat(failures[-1]))
    if newest - oldest > timedelta(minutes=settings["login_window_minutes"]):
        return None
    return newest + timedelta(minutes=settings["login_lockout_minutes"])


def check_not_locked(failure_lists: Iterable[list[str]], settings: dict[str, Any]) -> None:
    """Raise TooManyAttempts while any of the lists (per user, per address) is locked out."""
    now = datetime.now(timezone.utc)
    for failures in failure_lists:
        until = locked_until(failures, settings)
        if until and until > now:
            raise TooManyAttempts(retry_after=int((until - now).total_seconds()) + 1)
