"""Who may read /metrics: the bearer of METRICS_TOKEN, or else the allowed networks only."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client
from pytest_django import Settings

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-metrics-token"


def scrape(client: Client, remote_addr: str = "127.0.0.1", **headers: str) -> int:
    return client.get("/metrics", headers=headers, REMOTE_ADDR=remote_addr).status_code


def test_it_answers_loopback_without_a_token(client: Client) -> None:
    assert scrape(client, "127.0.0.1") == 200
    assert scrape(client, "::1") == 200
    assert scrape(client, "::ffff:127.0.0.1") == 200  # gunicorn bound to [::]


def test_it_refuses_other_networks_without_a_token(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"newsroom_comments" not in response.content


def test_it_answers_the_networks_it_is_told_to(client: Client, settings: Settings) -> None:
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    assert scrape(client, "10.20.3.4") == 200
    assert scrape(client, "10.21.3.4") == 403
    assert scrape(client, "127.0.0.1") == 403


def test_it_refuses_by_address_what_a_proxy_forwarded(client: Client) -> None:
    # Behind a proxy on the same host every visitor arrives from loopback.
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.7"}) == 403
    assert scrape(client, "127.0.0.1", Forwarded="for=198.51.100.7") == 403


def test_it_requires_the_bearer_token_once_one_is_set(client: Client, settings: Settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    refused = client.get("/metrics")  # from loopback: the token rules, not the address
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert scrape(client, Authorization=f"Bearer {TOKEN}x") == 401
    assert scrape(client, Authorization=f"Basic {TOKEN}") == 401
    assert scrape(client, "203.0.113.9", Authorization=f"Bearer {TOKEN}") == 200
