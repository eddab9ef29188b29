"""What every browser test shares: Debian's Chromium, how it is started, the phone
the field app is tried on, where screenshots go, and the marks of a browser test
(the fixtures ``playwright`` and ``browser`` are in tests/browser/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
# an enumerator's phone in Makassar
MOBILE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
          "is_mobile": True, "has_touch": True, "locale": "id-ID",
          "timezone_id": "Asia/Makassar"}
NEEDS_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="Debian's chromium is missing: apt-get install -y chromium")
# a module's ``pytestmark``: a browser test, skipped (saying how to fix it) without Chromium
BROWSER_TEST = [pytest.mark.browser, NEEDS_CHROMIUM]


def launch(playwright, *extra_args: str):
    """A headless Chromium, with ``extra_args`` after the usual ones."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=[*LAUNCH_ARGS, *extra_args])
