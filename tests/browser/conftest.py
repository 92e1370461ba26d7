from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests import workers
from tests.conftest import require_service

# Playwright's sync API runs an asyncio event loop in this thread, so Django would refuse ORM
# calls from the test ("SynchronousOnlyOperation"); nothing here is actually async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Debian's Chromium; Playwright never downloads a browser of its own here.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # One plugin for both tests/integration and tests/browser: one worker per session.
    workers.register(config)


@pytest.fixture
def chromium(transactional_db: None) -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright for one test.

    Per test, not per session, and only after the test database is set up: while Playwright's
    event loop runs in this thread, Django keeps a separate set of database connections for it
    (asgiref's Local switches to context-local storage when a loop is running). Started
    earlier, pytest-django would restore and flush the database on connections the test never
    uses; left open, those connections would block dropping the PostgreSQL test database.
    """
    from django.db import connections

    require_service(
        "Chromium",
        shutil.which(CHROMIUM) is not None,
        f"no executable at {CHROMIUM}: `make chromium`, or set CHROMIUM",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()  # the connections opened while the loop ran (see above)


@pytest.fixture
def new_page(chromium: Browser) -> Iterator[Callable[[], Page]]:
    """Open pages, each in its own browser context (its own cookies: its own signed-in user)."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page() -> Page:
        context = chromium.new_context()
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], "JavaScript errors on the page"


def sign_in(page: Page, base_url: str, username: str, password: str, next_path: str) -> None:
    """Sign in through the login form and land on `next_path`."""
    page.goto(f"{base_url}{reverse('login')}?next={quote(next_path)}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}{next_path}")
    # htmx binds its forms on DOMContentLoaded: a click before the load event can post a form
    # the old way, navigating away (seen on a loaded machine as a card missing after Approve).
    page.wait_for_load_state("load")
