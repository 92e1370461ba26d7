from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from pytest_django import Settings

from articles.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development_mode(settings: Settings) -> None:
    # pytest-django runs tests with DEBUG off; demo accounts are for development runs.
    settings.DEBUG = True


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_it_loads_the_launch_article_with_headline_credit_and_paragraphs() -> None:
    output = run()
    article = Article.objects.get()
    assert (
        article.title
        == "U.S and UK send troops back to Afghanistan to evacuate occupation personnel"
    )
    # The seed's caption describes a photo the site does not show: only the credit is kept.
    assert article.photo_credit == "Editorial credit: GoodAndy45 / Shutterstock.com"
    assert article.paragraphs[0].startswith("The U.S. and UK are sending thousands of troops")
    assert (
        article.paragraphs[-1]
        == "Foreign forces aim to be completely out of Afghanistan by September 11."
    )
    assert "Add your comments below" not in article.body
    assert "\u00a0" not in article.body
    assert "demo moderator: moderator / moderator-dev-pass" in output


def test_it_creates_a_moderator_and_a_reader() -> None:
    run()
    users = get_user_model().objects
    assert users.get(username="moderator").has_perm("comments.moderate_comment")
    assert not users.get(username="reader").has_perm("comments.moderate_comment")
    assert users.get(username="reader").check_password("reader-dev-pass")


def test_it_can_run_twice() -> None:
    run()
    run()
    assert Article.objects.count() == 1
    assert get_user_model().objects.count() == 2


def test_it_refuses_demo_accounts_when_debug_is_off(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="known passwords"):
        run()
    run("--no-accounts")
    assert Article.objects.count() == 1


def test_it_names_an_unreadable_article_file(tmp_path: object) -> None:
    with pytest.raises(CommandError, match="cannot load the article from"):
        run("--article", "/no/such/file.txt")
