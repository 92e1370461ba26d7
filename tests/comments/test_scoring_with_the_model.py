from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from comments import classifier, services
from comments.models import ClassifierModel, CommentStatus
from tests.factories import (
    make_article,
    make_classifier_model,
    make_comment,
    make_moderator,
    make_user,
)

pytestmark = pytest.mark.django_db

HOSTILE = "Honestly, you are a stupid idiot."


@pytest.fixture(autouse=True)
def fresh_model_cache() -> Iterator[None]:
    classifier.clear_model_cache()
    yield
    classifier.clear_model_cache()


def store_active(artifact: bytes, thresholds: dict[str, dict[str, float]]) -> ClassifierModel:
    return make_classifier_model(artifact=artifact, active=True, thresholds=thresholds)


def test_it_stores_the_spans_behind_each_score(artifact: bytes) -> None:
    store_active(artifact, {})
    comment = make_comment(article=make_article(), author=make_user(), body=HOSTILE)

    decided = services.score_comment(comment_id=comment.pk)

    assert decided is not None
    assert set(decided.explanations) == set(classifier.LABELS)
    words = {HOSTILE[s["start"] : s["end"]] for s in decided.explanations["toxicity"]}
    assert words & {"stupid", "idiot"}


def test_it_decides_with_the_model_versions_own_thresholds(artifact: bytes) -> None:
    # A version whose derived thresholds publish nothing and reject nothing holds everything.
    store_active(
        artifact,
        {
            "toxicity": {"publish": 0.0, "reject": 1.0},
            "spam": {"publish": 0.0, "reject": 1.0},
        },
    )
    comment = make_comment(article=make_article(), author=make_user(), body="Thanks, good read.")

    decided = services.score_comment(comment_id=comment.pk)

    assert decided is not None and decided.status == CommentStatus.HELD
    assert [row.publish for row in decided.score_rows] == [0.0, 0.0]


def test_the_queue_highlights_and_lists_the_terms(client: Client) -> None:
    body = "you <b>idiot</b>"
    start = body.index("idiot")
    make_comment(
        article=make_article(),
        author=make_user(),
        body=body,
        status="held",
        scores={"toxicity": 0.8, "spam": 0.1},
        risk=0.8,
        reason_codes=["toxicity_uncertain"],
        explanations={"toxicity": [{"start": start, "end": start + 5, "weight": 2.5}]},
    )
    client.force_login(make_moderator())

    page = client.get("/moderation/").content.decode()

    assert (
        '<mark class="term term--toxicity" title="raises the toxic score (+2.50)">idiot</mark>'
        in page
    )
    assert "you &lt;b&gt;" in page and "<b>idiot" not in page
    assert "Raising toxic" in page
    assert '<span class="term term--toxicity">idiot</span> <span class="meta">+2.5</span>' in page
