"""Sign-in is throttled per account and address (django-axes): after AXES_FAILURE_LIMIT wrong
passwords even the right one is refused, with a page that says why and for how long, until the
cool-off has passed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from pytest_django import Settings

from tests.factories import PASSWORD, make_moderator, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "Too many failed sign-ins"


@pytest.fixture(autouse=True)
def limits(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, username: str, times: int, ip: str = "203.0.113.7") -> list[int]:
    return [sign_in(client, username, "wrong-guess", ip).status_code for _ in range(times)]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_locks_the_account_out_after_the_limit_even_for_the_right_password(
    client: Client,
) -> None:
    make_user("rita")
    assert fail(client, "rita", 4) == [200] * 4
    assert sign_in(client, "rita", PASSWORD).status_code == 302  # and it clears the count
    client.post("/accounts/logout/")
    assert fail(client, "rita", 5) == [200] * 4 + [429]  # the 5th failure locks
    response = sign_in(client, "rita", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert f"{LOCKED} for this account from your network; try again in 15 minutes." in html
    assert not signed_in(client)


def test_it_locks_moderators_out_too_on_the_admin_login(client: Client) -> None:
    make_moderator("mona")
    for _ in range(5):
        client.post("/admin/login/", {"username": "mona", "password": "nope"})
    response = client.post("/admin/login/", {"username": "mona", "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_it_lets_the_right_password_in_once_the_cool_off_has_passed(client: Client) -> None:
    make_user("rita")
    fail(client, "rita", 5)
    assert sign_in(client, "rita", PASSWORD).status_code == 429
    # Travel past the cool-off: every failure recorded happened 16 minutes ago.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert sign_in(client, "rita", PASSWORD).status_code == 302
    assert signed_in(client)


def test_it_locks_out_the_account_from_that_address_only(client: Client) -> None:
    make_user("rita")
    make_user("otto")
    fail(client, "rita", 5, ip="203.0.113.7")
    assert sign_in(Client(), "rita", PASSWORD, ip="198.51.100.2").status_code == 302
    assert sign_in(Client(), "otto", PASSWORD, ip="203.0.113.7").status_code == 302


def test_an_operator_can_lift_a_lockout(client: Client) -> None:
    make_user("rita")
    fail(client, "rita", 5)
    call_command("axes_reset_username", "rita")
    assert sign_in(client, "rita", PASSWORD).status_code == 302
    assert get_user_model().objects.get(username="rita").last_login is not None


def test_behind_a_proxy_it_locks_out_the_address_the_proxy_saw(
    client: Client, settings: Settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("rita")

    def via_proxy(password: str, forwarded_for: str) -> int:
        return client.post(
            LOGIN,
            {"username": "rita", "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    # What the client writes on the left of the header changes nothing: the proxy saw 203.0.113.7.
    for n in range(5):
        via_proxy("wrong-guess", f"10.0.0.{n}, 203.0.113.7")
    assert via_proxy(PASSWORD, "203.0.113.7") == 429
    assert via_proxy(PASSWORD, "198.51.100.2") == 302
