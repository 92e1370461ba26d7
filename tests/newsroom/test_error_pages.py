"""The finished 500 page, and 503 with Retry-After when the database cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from newsroom.middleware import OUTAGE_RETRY_AFTER_SECONDS


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("fail/", fail)]


@pytest.fixture
def database_down(django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every connection attempt fails inside the driver, as when the server is gone."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise connection.Database.OperationalError("connection refused (the test's outage)")

    connection.close()
    monkeypatch.setattr(connection, "get_new_connection", refuse)
    with django_db_blocker.unblock():
        yield
    connection.close()


@pytest.mark.urls(__name__)
def test_it_shows_a_finished_500_page_without_touching_the_database() -> None:
    # No django_db mark: any query while rendering the page would fail this test.
    response = Client(raise_request_exception=False).get("/fail/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "<title>Something went wrong · Newsroom</title>" in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert '<a href="/">Back to the news</a>' in html


def test_it_answers_503_with_retry_after_when_the_database_is_down(database_down: None) -> None:
    response = Client().get(reverse("comments:article", kwargs={"slug": "launch-story"}))
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    assert "<title>Briefly unavailable · Newsroom</title>" in html
    assert "cannot reach its database" in html


def test_it_answers_an_htmx_post_with_a_503_that_swaps_nothing(database_down: None) -> None:
    client = Client()
    client.cookies["sessionid"] = "a-signed-in-readers-session"  # loading it needs the database
    response = client.post(
        reverse("comments:post", kwargs={"slug": "launch-story"}),
        {"body": "A long reply the reader must not lose."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 503
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    assert response["HX-Reswap"] == "none"
    assert response.content == b"The site is briefly unavailable."
