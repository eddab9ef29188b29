"""Fixtures of the browser tests: one Playwright and one headless Chromium per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.chromium import launch


@pytest.fixture(scope="module")
def playwright() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright) -> Iterator:
    """One headless Chromium for the module."""
    chromium = launch(playwright)
    yield chromium
    chromium.close()
