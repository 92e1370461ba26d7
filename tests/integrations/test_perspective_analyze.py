"""POST /v1alpha1/comments:analyze: Coral's exact request, Perspective's answers and refusals."""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from comments.models import ClassifierModel
from integrations import services
from integrations.models import ApiKey
from tests.integrations.coral_wire import analyze_body, toxic_phase_reads

pytestmark = pytest.mark.django_db

HOSTILE = "you are a stupid idiot and everyone hates you"
NEUTRAL = "thanks for the thoughtful article"
URL = "/v1alpha1/comments:analyze"


def post(client: Client, body: bytes | dict[str, Any], key: str | None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = URL if key is None else f"{URL}?key={key}"
    return client.post(url, data=data, content_type="application/json")


def test_it_is_at_perspectives_path() -> None:
    assert reverse("integrations:perspective-analyze") == URL


def test_it_answers_corals_exact_request_as_corals_toxic_phase_reads_it(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    _, raw = coral_key
    hostile = post(client, analyze_body(text=HOSTILE), raw)
    neutral = post(client, analyze_body(text=NEUTRAL), raw)

    assert hostile.status_code == neutral.status_code == 200
    assert toxic_phase_reads(hostile.json()) > 0.8 > toxic_phase_reads(neutral.json())
    answer = hostile.json()
    assert answer["languages"] == ["en"]
    assert list(answer["attributeScores"]) == ["TOXICITY"]
    toxicity = answer["attributeScores"]["TOXICITY"]
    assert toxicity["summaryScore"]["type"] == "PROBABILITY"
    spans = toxicity["spanScores"]
    assert spans, "the terms that drove the score come back as spans"
    words = {HOSTILE[span["begin"] : span["end"]] for span in spans}
    assert words & {"stupid", "idiot", "hates"}
    assert all(0.5 < span["score"]["value"] <= 1 for span in spans)
    assert [span["begin"] for span in spans] == sorted(span["begin"] for span in spans)


def test_spam_is_our_spam_label(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    body = {
        "comment": {"text": "BUY CHEAP PILLS NOW!!! click www.cheap-pills.shop for free money"},
        "requestedAttributes": {"SPAM": {}, "TOXICITY": {}},
        "clientToken": "t-1",
    }
    answer = post(client, body, coral_key[1]).json()
    plain = post(client, {**body, "comment": {"text": NEUTRAL}}, coral_key[1]).json()

    assert list(answer["attributeScores"]) == ["SPAM", "TOXICITY"]
    spam = answer["attributeScores"]["SPAM"]["summaryScore"]["value"]
    assert spam > 2 * plain["attributeScores"]["SPAM"]["summaryScore"]["value"]
    assert answer["clientToken"] == "t-1"


def test_it_leaves_no_trace_of_a_do_not_store_text(
    client: Client,
    active_model: ClassifierModel,
    coral_key: tuple[ApiKey, str],
    caplog: pytest.LogCaptureFixture,
    django_assert_num_queries: Any,
) -> None:
    post(client, analyze_body(text=NEUTRAL), coral_key[1])  # loads the model: its own log line
    counts = {model: model.objects.count() for model in apps.get_models()}
    caplog.clear()

    with ExitStack() as stack:
        # Every logger at DEBUG, SQL included (which the query counter turns on).
        for name in ["", *logging.root.manager.loggerDict]:
            stack.enter_context(caplog.at_level(logging.DEBUG, logger=name))
        # Two reads (the key, the active version): no write can hide among them.
        stack.enter_context(django_assert_num_queries(2))
        response = post(client, analyze_body(text=HOSTILE), coral_key[1])

    assert response.status_code == 200
    assert {model: model.objects.count() for model in apps.get_models()} == counts
    sql = [r.getMessage() for r in caplog.records if r.name == "django.db.backends"]
    assert len(sql) == 2
    assert all("SELECT" in line and "INSERT" not in line and "UPDATE" not in line for line in sql)
    others = [r for r in caplog.records if r.name != "django.db.backends"]
    assert others == []
    assert "stupid" not in caplog.text


@pytest.mark.parametrize(
    ("key", "code", "status", "message"),
    [
        (None, 403, "PERMISSION_DENIED", "The request is missing a valid API key."),
        (
            "nk_0000_wrong",
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
        ),
    ],
)
def test_it_refuses_a_missing_or_wrong_key(
    client: Client,
    active_model: ClassifierModel,
    key: str | None,
    code: int,
    status: str,
    message: str,
) -> None:
    response = post(client, analyze_body(text=NEUTRAL), key)

    assert response.status_code == code
    assert response.json() == {"error": {"code": code, "message": message, "status": status}}


def test_it_refuses_a_revoked_key(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    api_key, raw = coral_key
    services.revoke_api_key(api_key=api_key)

    response = post(client, analyze_body(text=NEUTRAL), raw)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "API key not valid. Please pass a valid API key."


def test_it_refuses_a_key_with_the_right_prefix_and_a_wrong_secret(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    api_key, _ = coral_key

    response = post(client, analyze_body(text=NEUTRAL), f"nk_{api_key.prefix}_guessed")

    assert response.status_code == 400


def test_it_refuses_an_attribute_it_does_not_model(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    response = post(client, analyze_body(text=NEUTRAL, model="PROFANITY"), coral_key[1])

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": 400,
            "message": "Unknown requested attribute: PROFANITY",
            "status": "INVALID_ARGUMENT",
        }
    }


@pytest.mark.parametrize("locale", ["fr-FR", "es", "de", "pt-BR"])
def test_it_refuses_languages_other_than_english_as_perspective_does(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str], locale: str
) -> None:
    response = post(
        client, analyze_body(text="Merci pour cet article", locale=locale), coral_key[1]
    )

    language = json.loads(analyze_body(text="x", locale=locale))["languages"][0]
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": 400,
        "message": f"Attribute TOXICITY does not support request languages: {language}",
        "status": "INVALID_ARGUMENT",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "Invalid JSON payload received. Expected a JSON object."),
        (
            {"comment": {"text": "  "}, "requestedAttributes": {"TOXICITY": {}}},
            "Comment must be non-empty.",
        ),
        ({"comment": {"text": "hello"}}, "Missing requested_attributes"),
        (
            {"comment": {"text": "x" * 20481}, "requestedAttributes": {"TOXICITY": {}}},
            "Comment text too long.",
        ),
    ],
)
def test_it_refuses_a_malformed_request_without_echoing_it(
    client: Client,
    active_model: ClassifierModel,
    coral_key: tuple[ApiKey, str],
    body: bytes | dict[str, Any],
    message: str,
) -> None:
    response = post(client, body, coral_key[1])

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_it_answers_429_in_perspectives_shape_over_the_keys_limit(
    client: Client, active_model: ClassifierModel
) -> None:
    _, raw = services.create_api_key(name="small", rate_limit_per_minute=2)

    codes = [post(client, analyze_body(text=NEUTRAL), raw).status_code for _ in range(3)]
    refused = post(client, analyze_body(text=NEUTRAL), raw).json()

    assert codes == [200, 200, 429]
    assert refused["error"]["code"] == 429
    assert refused["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert refused["error"]["message"].startswith("Quota exceeded")


def test_it_counts_each_keys_use_outside_the_database(
    client: Client, active_model: ClassifierModel, coral_key: tuple[ApiKey, str]
) -> None:
    api_key, raw = coral_key
    post(client, analyze_body(text=NEUTRAL), raw)
    post(client, analyze_body(text=NEUTRAL), raw)

    usage = services.usage_of(api_key=api_key)
    assert usage.requests == 2
    assert usage.last_used is not None


def test_it_answers_503_when_no_model_is_active(
    client: Client, coral_key: tuple[ApiKey, str]
) -> None:
    response = post(client, analyze_body(text=NEUTRAL), coral_key[1])

    assert response.status_code == 503
    assert response.json()["error"]["status"] == "UNAVAILABLE"


def test_it_takes_only_post(client: Client, coral_key: tuple[ApiKey, str]) -> None:
    assert client.get(f"{URL}?key={coral_key[1]}").status_code == 405
