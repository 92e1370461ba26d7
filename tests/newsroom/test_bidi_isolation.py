"""Readers' text renders bidi-isolated: a U+202E in a body cannot reorder the page around it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from comments.models import AuthorNote, CommentStatus, EventAction, ModerationEvent
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

RLO = "\N{RIGHT-TO-LEFT OVERRIDE}"


def isolating_selectors() -> set[str]:
    """The selectors of site.css's rules that set `unicode-bidi: isolate` or `plaintext`."""
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = re.finditer(r"([^{}]+)\{[^}]*unicode-bidi:\s*(?:isolate|plaintext)\b[^}]*\}", css)
    return {selector.strip() for rule in rules for selector in rule.group(1).split(",")}


class UnisolatedText(HTMLParser):
    """Collect text holding U+202E that no isolating element (by class or `dir`) encloses."""

    VOID = frozenset({"br", "img", "input", "link", "meta", "hr", "col", "wbr", "source"})

    def __init__(self, selectors: set[str]) -> None:
        super().__init__()
        self.selectors = selectors
        self.open: list[bool] = []  # per open element: does it isolate its content?
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        isolates = tag == "bdi" or "dir" in attributes
        isolates = isolates or any(f".{name}" in self.selectors for name in classes)
        self.open.append(isolates)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if RLO in data and not any(self.open):
            self.found.append(data.strip())


def unisolated(html: str) -> list[str]:
    parser = UnisolatedText(isolating_selectors())
    parser.feed(html)
    return parser.found


def test_it_isolates_every_body_a_reader_or_moderator_sees(client: Client) -> None:
    article, author = make_article(), make_user("ann")
    parent = make_comment(
        article=article, author=author, body=f"First {RLO}txet", status=CommentStatus.PUBLISHED
    )
    held = make_comment(
        article=article,
        author=author,
        parent=parent,
        body=f"Open {RLO}gnp.exe now",
        status=CommentStatus.HELD,
        reason_codes=["unscored"],
    )
    moderator = make_moderator()
    ModerationEvent.objects.create(
        comment=held, action=EventAction.SCORED, from_status="pending", to_status="held"
    )
    AuthorNote.objects.create(author=author, written_by=moderator, body=f"Uses {RLO}sedirrevo")

    client.force_login(author)
    pages = {"article": client.get(article.get_absolute_url())}
    client.force_login(moderator)
    # Paths, not URL names: these pages are the moderators' whatever app serves them.
    for name, path in [
        ("queue", "/moderation/"),
        ("author", f"/moderation/authors/{author.pk}/"),
        ("audit", "/moderation/audit/"),
    ]:
        pages[name] = client.get(path)

    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert RLO in html, name
        assert unisolated(html) == [], name


def test_it_gives_the_moderators_comment_body_its_own_direction(client: Client) -> None:
    make_comment(
        article=make_article(),
        author=make_user("ann"),
        body=f"{RLO}evil",
        status=CommentStatus.HELD,
        reason_codes=["unscored"],
    )
    client.force_login(make_moderator())
    html = client.get("/moderation/").content.decode()
    assert f'<div class="comment__body" dir="auto">{RLO}evil</div>' in html
