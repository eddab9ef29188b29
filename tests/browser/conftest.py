"""Fixtures of the browser tests: one Playwright and one headless Chromium per module,
and a fresh phone (a browser context) per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.chromium import MOBILE, launch


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


@pytest.fixture
def context(browser) -> Iterator:
    """An enumerator's phone (tests.browser.chromium.MOBILE) with its own storage."""
    ctx = browser.new_context(**MOBILE)
    ctx.set_default_timeout(20000)
    yield ctx
    ctx.close()
