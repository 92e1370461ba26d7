"""Every page carries a strict Content-Security-Policy, and no template needs it loosened."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_article

TEMPLATES = settings.BASE_DIR / "templates"
# What a strict policy blocks: inline scripts, styles and handlers, htmx's own eval (hx-on,
# trigger filters, js: values) and javascript: URLs.
NEEDS_A_LOOSER_POLICY = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|\shx-on|"
    r'hx-trigger="[^"]*\[|hx-vals=.js:|javascript:'
)


def policy(header: str) -> dict[str, list[str]]:
    directives = (directive.split() for directive in header.split(";") if directive.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.django_db
def test_it_sends_a_strict_policy_with_every_page(client: Client) -> None:
    response = client.get(make_article().get_absolute_url())
    assert policy(response["Content-Security-Policy"]) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }


@pytest.mark.django_db
def test_it_configures_htmx_to_need_no_inline_style_or_eval(client: Client) -> None:
    html = client.get(make_article().get_absolute_url()).content.decode()
    config = """<meta name="htmx-config" content='{"includeIndicatorStyles": false, """
    config += """"allowEval": false}'>"""
    assert config in html
    assert html.index(config) < html.index("htmx-2.min.js")  # read when htmx starts


def test_no_template_has_code_the_policy_would_block() -> None:
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if NEEDS_A_LOOSER_POLICY.search(line)
    ]
    assert offenders == []
