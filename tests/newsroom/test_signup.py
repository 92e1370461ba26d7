from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django import Settings

from accounts.forms import started_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newreader",
    "email": "newreader@example.org",
    "password1": "a-long-unusual-pass-42",
    "password2": "a-long-unusual-pass-42",
    # Served a minute ago: a person's pace.
    "started": started_token(time.time() - 60),
}
TOO_FAST = "That was quicker than a person types."


def created() -> int:
    return get_user_model().objects.filter(username__startswith="newreader").count()


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
    assert "You must type the same password each time." in html


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


def test_it_refuses_a_form_whose_honeypot_is_filled(client: Client) -> None:
    response = client.post("/accounts/signup/", {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 400
    assert "Your sign-up could not be accepted." in response.content.decode()
    assert created() == 0


def test_it_refuses_a_form_sent_back_faster_than_a_person_fills_it(
    client: Client, settings: Settings
) -> None:
    settings.SIGNUP_MIN_FILL_SECONDS = 3
    page = client.get("/accounts/signup/").content.decode()
    served = re.search(r'name="started" value="([^"]+)"', page)
    assert served is not None
    response = client.post("/accounts/signup/", {**GOOD, "started": served.group(1)})
    assert response.status_code == 400
    assert TOO_FAST in response.content.decode()
    assert created() == 0
    # Sent again once the seconds have passed (the same form, served 4 s earlier), it works.
    again = {**GOOD, "started": started_token(time.time() - 4)}
    assert client.post("/accounts/signup/", again).status_code == 302
    assert created() == 1


@pytest.mark.parametrize(
    "started",
    ["", "not-signed", started_token(time.time() - 2 * 86400)],
    ids=["missing", "forged", "expired"],
)
def test_it_refuses_a_form_without_a_valid_timestamp_and_serves_a_fresh_one(
    client: Client, started: str
) -> None:
    response = client.post("/accounts/signup/", {**GOOD, "started": started})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This form has expired. Please check it and send it again." in html
    fresh = re.search(r'name="started" value="([^"]+)"', html)
    assert fresh is not None and fresh.group(1) != started
    assert created() == 0


def test_it_hides_the_honeypot_from_people_and_assistive_technology(client: Client) -> None:
    html = client.get("/accounts/signup/").content.decode()
    trap = html.split('<div class="trap" aria-hidden="true">')[1].split("</div>")[0]
    assert 'name="website"' in trap
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap


def test_it_throttles_sign_ups_per_address(client: Client, settings: Settings) -> None:
    settings.SIGNUP_RATE_LIMIT = 3

    def sign_up(n: int, ip: str) -> Any:
        data = {**GOOD, "username": f"newreader{n}", "email": f"newreader{n}@example.org"}
        return Client().post("/accounts/signup/", data, REMOTE_ADDR=ip)

    assert [sign_up(n, "203.0.113.7").status_code for n in range(5)] == [302] * 3 + [429] * 2
    refused = sign_up(5, "203.0.113.7").content.decode()
    assert "Too many accounts have been created from your network recently." in refused
    assert created() == 3
    assert sign_up(6, "198.51.100.2").status_code == 302  # another address is not slowed
    # Bad input does not count: a reader who mistypes a password is not throttled.
    settings.SIGNUP_RATE_LIMIT = 4
    mistyped = {**GOOD, "username": "newreader7", "email": "r7@example.org", "password2": "typo"}
    for _ in range(3):
        assert (
            Client().post("/accounts/signup/", mistyped, REMOTE_ADDR="192.0.2.1").status_code == 400
        )
    assert sign_up(7, "192.0.2.1").status_code == 302
