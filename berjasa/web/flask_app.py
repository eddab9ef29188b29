"""The Flask class the kelurahan app is built on: Flask itself, with its check of
whether a hook or view is ``async def`` made once per function.

Flask calls :meth:`Flask.ensure_sync` for every before/after/teardown hook and the
view on every request (eight times a single POST), and each call runs
``inspect.iscoroutinefunction`` (~5K instructions). Its answer depends on the
function alone, so the app keeps it for the functions it meets, up to
:data:`KEPT` of them (the app's hooks and views; a function made per request,
such as one for ``after_this_request``, only passes through once that is full).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

KEPT = 256


class CachedSyncFlask(Flask):
    """Flask, with :meth:`ensure_sync`'s answer kept per function."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's own answer for ``func`` (the function, or its sync wrapper)."""
        known = self._sync_functions.get(func)
        if known is None:
            known = super().ensure_sync(func)
            if len(self._sync_functions) < KEPT:
                self._sync_functions[func] = known
        return known
