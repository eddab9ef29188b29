"""The Flask class both apps are built on: Flask itself, with its check of
whether a hook or view is ``async def`` made once per function, and each route's
URL builder compiled when a URL is first built for it, not while the app is built.

Flask calls :meth:`Flask.ensure_sync` for every before/after/teardown hook and the
view on every request (eight times a single POST), and each call runs
``inspect.iscoroutinefunction`` (~5K instructions). Its answer depends on the
function alone, so the app keeps it for the functions it meets, up to
:data:`KEPT` of them (the app's hooks and views; a function made per request,
such as one for ``after_this_request``, only passes through once that is full).

Werkzeug compiles two URL builders per route (Python source, parsed and compiled)
when the route is added: about two thirds of building either app (kelurahan 10 ms
of CPU -> 3, central 9 -> 3.5), although a running app builds URLs for a few of its
routes only (redirects, ``url_for`` in templates) and ``serve`` and the test suite
build apps often. :class:`LazyBuilderRule` compiles a builder on its first use
instead, with werkzeug's own code: the URL is the same. It overrides werkzeug's
``Rule._compile_builder``, which is not public: were werkzeug to rename it, rules
would compile when added again, as before (tests/unit/test_flask_app.py checks
both the URLs and that building an app compiles none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

KEPT = 256


class LazyBuilderRule(Rule):
    """A werkzeug rule whose two URL builders are compiled when first called."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        compile_now = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build_first(rule: Rule, *args: Any, **kwargs: Any) -> Any:
            built = compile_now(append_unknown).__get__(rule, None)
            setattr(rule, name, built)  # later builds call it directly (a race compiles twice)
            return built(*args, **kwargs)

        return build_first


class CachedSyncFlask(Flask):
    """Flask, with :meth:`ensure_sync`'s answer kept per function and URL builders
    compiled on first use."""

    url_rule_class = LazyBuilderRule

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
