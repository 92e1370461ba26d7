"""Google's own client library for Perspective (google-api-python-client, as in Perspective's
Python sample), pointed at a live newsroom by its discovery URL only, scores and suggests.

The other clients on PyPI cannot be pointed at us: `perspectiveapi` 1.1.0 posts to a URL
written into its `score()`, and `perspective` 1.0.3 builds Google's URL in its client's
constructor (both install the same `perspective` module, so they cannot even sit side by side).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient import discovery
from googleapiclient.errors import HttpError

from comments.models import ClassifierModel, ExternalLabel
from integrations import services
from tests.integrations.coral_wire import analyze_body

# Serialized rollback, as every other transactional test here: a plain flush lets post_migrate
# recreate content types under new ids, and the next test restoring the snapshot then collides.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOSTILE = "you are a stupid idiot and everyone hates you"


def perspective_client(live_server: Any, key: str) -> Any:
    """Perspective's Python sample, with newsroom's host in its discoveryServiceUrl."""
    return discovery.build(
        "commentanalyzer",
        "v1alpha1",
        developerKey=key,
        discoveryServiceUrl=f"{live_server.url}/$discovery/rest?version=v1alpha1",
        static_discovery=False,
        cache_discovery=False,
    )


def test_googles_client_scores_and_suggests_through_newsroom(
    live_server: Any, active_model: ClassifierModel
) -> None:
    api_key, raw = services.create_api_key(name="google-client")
    client = perspective_client(live_server, raw)

    # Coral's exact body (formatBody in its perspective.ts), sent by Google's library.
    body = json.loads(analyze_body(text=HOSTILE))
    answer = client.comments().analyze(body=body).execute()

    toxicity = answer["attributeScores"]["TOXICITY"]
    assert toxicity["summaryScore"]["type"] == "PROBABILITY"
    assert toxicity["summaryScore"]["value"] > 0.5
    assert any(span["score"]["value"] > 0.5 for span in toxicity["spanScores"])
    assert answer["languages"] == ["en"]
    assert services.usage_of(api_key=api_key).requests == 1

    suggested = (
        client.comments()
        .suggestscore(
            body={
                "comment": {"text": "A reader's fair point."},
                "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.0}}},
                "clientToken": "comment:abc",
                "languages": ["en"],
            }
        )
        .execute()
    )
    assert suggested["clientToken"] == "comment:abc"
    label = ExternalLabel.objects.get()
    assert (label.text, label.label, label.value) == ("A reader's fair point.", "toxicity", 0.0)


def test_googles_client_gets_perspectives_errors(
    live_server: Any, active_model: ClassifierModel
) -> None:
    client = perspective_client(live_server, "nk_00000000_not-a-key")

    with pytest.raises(HttpError) as refused:
        client.comments().analyze(
            body={"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
        ).execute()

    assert refused.value.status_code == 400
    assert "API key not valid" in str(refused.value)
