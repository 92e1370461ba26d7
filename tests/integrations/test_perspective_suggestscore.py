"""POST /v1alpha1/comments:suggestscore: Coral's moderators' verdicts become training examples."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from comments import model_versions
from comments.classifier.labels import LABELS
from comments.models import ExternalLabel
from integrations.models import ApiKey
from tests.integrations.coral_wire import suggest_body

pytestmark = pytest.mark.django_db

URL = "/v1alpha1/comments:suggestscore"


def suggest(client: Client, body: bytes, key: str) -> dict[str, object]:
    response = client.post(f"{URL}?key={key}", data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    answer: dict[str, object] = response.json()
    return answer


def test_it_stores_a_rejection_as_a_labelled_example(
    client: Client, coral_key: tuple[ApiKey, str]
) -> None:
    api_key, raw = coral_key
    body = suggest_body(text="you absolute moron", comment_id="c-1", status="DELETED")

    answer = suggest(client, body, raw)

    assert answer == {"clientToken": "comment:c-1"}  # Perspective echoes the token
    label = ExternalLabel.objects.get()
    assert (label.text, label.label, label.value) == ("you absolute moron", "toxicity", 1.0)
    assert (label.source, label.external_id) == (api_key.source, "comment:c-1")


def test_its_examples_feed_training_as_moderators_decisions_do(
    client: Client, coral_key: tuple[ApiKey, str]
) -> None:
    raw = coral_key[1]
    suggest(client, suggest_body(text="you moron", comment_id="c-1", status="DELETED"), raw)
    suggest(client, suggest_body(text="lovely piece", comment_id="c-2", status="APPROVED"), raw)
    # A moderator in Coral changes their mind: the later word on c-1 replaces the earlier one.
    suggest(client, suggest_body(text="you moron", comment_id="c-1", status="APPROVED"), raw)

    decisions = model_versions.moderator_decisions(labels=LABELS)

    toxicity = decisions["toxicity"]
    assert sorted(zip(toxicity.texts, toxicity.targets.tolist(), strict=True)) == [
        ("lovely piece", 0),
        ("you moron", 0),
    ]
    assert "spam" not in decisions  # a TOXICITY suggestion says nothing about spam
    assert model_versions.decisions_since_active_model() == 3


def test_it_refuses_an_attribute_it_does_not_model(
    client: Client, coral_key: tuple[ApiKey, str]
) -> None:
    body = suggest_body(text="x", comment_id="c-1", status="DELETED", model="INSULT")

    response = client.post(f"{URL}?key={coral_key[1]}", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unknown requested attribute: INSULT"
    assert not ExternalLabel.objects.exists()


def test_it_refuses_a_score_outside_zero_to_one(
    client: Client, coral_key: tuple[ApiKey, str]
) -> None:
    body = json.loads(suggest_body(text="x", comment_id="c-1", status="DELETED"))
    body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] = 3

    response = client.post(
        f"{URL}?key={coral_key[1]}", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_it_refuses_a_wrong_key(client: Client, db: None) -> None:
    body = suggest_body(text="x", comment_id="c-1", status="DELETED")

    response = client.post(f"{URL}?key=nk_00_x", data=body, content_type="application/json")

    assert response.status_code == 400
    assert not ExternalLabel.objects.exists()
