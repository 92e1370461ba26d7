"""The workspace's webhook pages: register and disable endpoints, the delivery log, redeliver."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

ENDPOINTS = "/moderation/integrations/webhooks/"
DELIVERIES = "/moderation/integrations/webhooks/deliveries/"


def _failed_delivery() -> WebhookDelivery:
    services.record_webhook_deliveries()  # the dispatcher has been running: cursors at the end
    endpoint = services.create_webhook_endpoint(
        url="https://cms.example/hooks", events=["comment.created"], created_by=None
    )
    make_comment(article=make_article(), author=make_user("rita"))
    services.record_webhook_deliveries()
    WebhookDelivery.objects.update(
        status=DeliveryStatus.FAILED, attempts=8, last_error="HTTP 502 Bad Gateway: upstream"
    )
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_it_registers_an_endpoint_and_shows_its_secret_once(
    moderator_client: Client, moderator: Any
) -> None:
    response = moderator_client.post(
        ENDPOINTS,
        {"url": "https://cms.example/hooks", "events": ["comment.created", "comment.rejected"]},
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret in response.content.decode()
    assert endpoint.events == ["comment.created", "comment.rejected"]
    assert endpoint.created_by == moderator
    assert endpoint.secret not in moderator_client.get(ENDPOINTS).content.decode()


def test_it_refuses_a_bad_url_or_no_event(moderator_client: Client) -> None:
    response = moderator_client.post(ENDPOINTS, {"url": "not a url"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid URL." in page and "Choose at least one event." in page
    assert not WebhookEndpoint.objects.exists()


def test_it_disables_an_endpoint(moderator_client: Client) -> None:
    endpoint = services.create_webhook_endpoint(
        url="https://cms.example/hooks", events=["comment.created"], created_by=None
    )

    response = moderator_client.post(f"{ENDPOINTS}{endpoint.pk}/disable/")

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_it_shows_each_delivery_with_its_status_attempts_and_last_error(
    moderator_client: Client,
) -> None:
    _failed_delivery()

    page = moderator_client.get(DELIVERIES).content.decode()
    failed_only = moderator_client.get(f"{DELIVERIES}?status=failed").content.decode()
    delivered_only = moderator_client.get(f"{DELIVERIES}?status=delivered").content.decode()

    assert "comment.created" in page and "Failed" in page and "8 attempts" in page
    assert "HTTP 502 Bad Gateway: upstream" in page and "Redeliver" in page
    assert "upstream" in failed_only and "upstream" not in delivered_only


def test_it_queues_a_redelivery_without_sending_anything(moderator_client: Client) -> None:
    delivery = _failed_delivery()

    response = moderator_client.post(
        f"{DELIVERIES}{delivery.pk}/redeliver/", {"next": f"{DELIVERIES}?status=failed"}
    )

    assert response.status_code == 302 and response["Location"] == f"{DELIVERIES}?status=failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert services.take_due_deliveries() == [(delivery.pk, 0)]


def test_it_sends_back_only_to_the_delivery_log(moderator_client: Client) -> None:
    delivery = _failed_delivery()

    response = moderator_client.post(
        f"{DELIVERIES}{delivery.pk}/redeliver/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == DELIVERIES


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ENDPOINTS),
        ("get", DELIVERIES),
        ("post", f"{ENDPOINTS}1/disable/"),
        ("post", f"{DELIVERIES}1/redeliver/"),
    ],
)
def test_it_is_for_moderators_only(client: Client, method: str, url: str) -> None:
    assert getattr(client, method)(url).status_code == 302  # visitors: sign in first
    client.force_login(make_user("rita"))
    assert getattr(client, method)(url).status_code == 403
