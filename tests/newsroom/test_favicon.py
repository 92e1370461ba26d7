"""The site's icon: linked from every page, and answered at /favicon.ico."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_links_the_icon_from_every_page(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_it_answers_favicon_ico_with_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/favicon.svg", 302)]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
