"""POST /integrations/coral/moderate: Coral's External Moderation Phase, signed as Coral signs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from comments.models import ClassifierModel, WordRule, WordRuleKind
from integrations.models import CoralModerationRequest
from tests.integrations.coral_wire import coral_signature, moderation_request

pytestmark = pytest.mark.django_db

URL = "/integrations/coral/moderate"
HOSTILE = "you are a stupid idiot and everyone hates you"
NEUTRAL = "thanks for the thoughtful article"


def send(client: Client, body: bytes, signature: str | None) -> Any:
    headers = {} if signature is None else {"X-Coral-Signature": signature}
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_it_answers_a_request_signed_as_coral_signs_it(
    client: Client, active_model: ClassifierModel, coral_secret: str
) -> None:
    body = moderation_request(body=HOSTILE)

    response = send(client, body, coral_signature(body, coral_secret))

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] in {"SYSTEM_WITHHELD", "REJECTED"}
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"} in answer["actions"]
    assert answer["tags"] == []
    logged = CoralModerationRequest.objects.get()
    assert logged.status == answer["status"]
    assert logged.actions == answer["actions"]
    assert any(code.startswith("toxicity_") for code in logged.reason_codes)
    assert logged.model_version == active_model
    assert logged.story_id == "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6"
    # The reader's words stay with Coral: the log keeps why, not what.
    assert HOSTILE not in json.dumps(CoralModerationRequest.objects.values().get(), default=str)


def test_it_publishes_what_our_policy_publishes(
    client: Client, active_model: ClassifierModel, coral_secret: str, settings: Settings
) -> None:
    body = moderation_request(body=NEUTRAL)

    answer = send(client, body, coral_signature(body, coral_secret)).json()

    assert answer == {"status": "NONE", "actions": [], "tags": []}
    assert CoralModerationRequest.objects.get().reason_codes == ["below_thresholds"]


def test_it_applies_the_workspaces_word_rules(
    client: Client, active_model: ClassifierModel, coral_secret: str
) -> None:
    WordRule.objects.create(phrase="thoughtful", kind=WordRuleKind.BANNED)
    body = moderation_request(body=NEUTRAL)

    answer = send(client, body, coral_signature(body, coral_secret)).json()

    assert answer["status"] == "REJECTED"
    assert CoralModerationRequest.objects.get().reason_codes == ["banned_word:thoughtful"]


def test_it_accepts_either_signature_while_coral_rolls_its_secret(
    client: Client, active_model: ClassifierModel, coral_secret: str
) -> None:
    body = moderation_request(body=NEUTRAL)

    response = send(client, body, coral_signature(body, "the-next-secret", coral_secret))

    assert response.status_code == 200


@pytest.mark.parametrize("case", ["forged", "mis-keyed", "missing", "body changed"])
def test_it_refuses_a_request_not_signed_with_our_secret(
    client: Client, active_model: ClassifierModel, coral_secret: str, case: str
) -> None:
    body = moderation_request(body=NEUTRAL)
    signature = {
        "forged": "sha256=" + "0" * 64,
        "mis-keyed": coral_signature(body, "another-tenants-secret"),
        "missing": None,
        "body changed": coral_signature(moderation_request(body=HOSTILE), coral_secret),
    }[case]

    response = send(client, body, signature)

    assert response.status_code == 403
    assert not CoralModerationRequest.objects.exists()


def test_it_refuses_a_stale_request_replayed(
    client: Client, active_model: ClassifierModel, coral_secret: str
) -> None:
    body = moderation_request(body=NEUTRAL)
    signature = coral_signature(body, coral_secret)
    assert send(client, body, signature).status_code == 200

    replayed = send(client, body, signature)

    assert replayed.status_code == 409
    assert CoralModerationRequest.objects.count() == 1


def test_it_refuses_everything_without_a_secret_configured(
    client: Client, active_model: ClassifierModel, settings: Settings
) -> None:
    settings.CORAL_SIGNING_SECRETS = []
    body = moderation_request(body=NEUTRAL)

    assert send(client, body, coral_signature(body, "")).status_code == 403


def test_it_refuses_a_signed_body_that_is_not_a_moderation_request(
    client: Client, active_model: ClassifierModel, coral_secret: str
) -> None:
    body = b'{"type": "STORY_CREATED"}'

    response = send(client, body, coral_signature(body, coral_secret))

    assert response.status_code == 400
    assert not CoralModerationRequest.objects.exists()


def test_it_withholds_unscored_when_no_model_is_active(
    client: Client, db: None, coral_secret: str
) -> None:
    body = moderation_request(body=NEUTRAL)

    answer = send(client, body, coral_signature(body, coral_secret)).json()

    assert answer["status"] == "SYSTEM_WITHHELD"
    assert CoralModerationRequest.objects.get().reason_codes == ["unscored"]
