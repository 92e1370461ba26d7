from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newreader",
    "password1": "a-long-unusual-pass-42",
    "password2": "a-long-unusual-pass-42",
}


def test_it_creates_an_account_signs_in_and_returns_to_the_article(client: Client) -> None:
    response = client.post("/accounts/signup/", {**GOOD, "next": "/articles/launch/#comments"})
    assert response.status_code == 302
    assert response["Location"] == "/articles/launch/#comments"
    user = get_user_model().objects.get(username="newreader")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_it_ignores_a_next_address_on_another_site(client: Client) -> None:
    response = client.post("/accounts/signup/", {**GOOD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_it_explains_bad_input(client: Client) -> None:
    make_user("taken")
    response = client.post("/accounts/signup/", {**GOOD, "username": "taken", "password2": "other"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "A user with that username already exists." in html
    assert "The two password fields didn’t match." in html


def test_it_shows_the_form(client: Client) -> None:
    html = client.get("/accounts/signup/?next=/articles/x/").content.decode()
    assert "Create an account" in html and 'value="/articles/x/"' in html


def test_it_sends_signed_in_users_on(client: Client) -> None:
    client.force_login(make_user())
    assert client.get("/accounts/signup/")["Location"] == "/"


def test_it_logs_in_and_out(client: Client) -> None:
    make_user("rita")
    response = client.post(
        "/accounts/login/", {"username": "rita", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
