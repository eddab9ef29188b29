"""api: the service worker precaches every module the field app loads, so the app
opens offline after its code is split into more files."""

from __future__ import annotations

import json
import re

IMPORT = re.compile(r"""\b(?:import|from)\s*['"]\./([\w.-]+\.js)['"]""")
SCRIPT = re.compile(r"""<script[^>]*\bsrc="([^"]+)\"""")


def _modules(client) -> set[str]:
    """Every js/ file reachable from index.html through static imports."""
    start = ["js/" + src.removeprefix("js/") for src in SCRIPT.findall(client.get("/app/").text)]
    seen: set[str] = set()
    while start:
        path = start.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = client.get("/app/" + path)
        assert answer.status_code == 200, path
        start += ["js/" + name for name in IMPORT.findall(answer.text)]
    return seen


def test_every_module_the_app_loads_is_precached(api):
    client = api()
    worker = client.get("/app/sw.js").text
    assets = set(json.loads(worker.split("const ASSETS = ", 1)[1].split(";\n", 1)[0]))
    modules = _modules(client)
    assert {"js/app.js", "js/session.js", "js/outbox_view.js", "js/form_view.js"} <= modules
    assert modules <= assets
