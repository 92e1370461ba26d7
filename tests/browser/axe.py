"""The axe-core accessibility audit (WCAG 2.1 A and AA) of a page or a frame, in Chromium."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(target: Page | Frame) -> None:
    """Fail with axe's report when the page (or a frame of it) breaks a WCAG 2.1 AA rule."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = Axe().run(target, options=options)
    assert results.violations_count == 0, results.generate_report()
