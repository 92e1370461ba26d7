from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from comments.models import ClassifierModel
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/"


@pytest.fixture
def moderator_client(client: Client) -> Client:
    client.force_login(make_moderator())
    return client


def test_it_lists_held_comments_riskiest_first_with_scores_and_reasons(
    moderator_client: Client,
) -> None:
    article, author = make_article(), make_user()
    make_comment(
        article=article,
        author=author,
        body="mild",
        status="held",
        scores={"toxicity": 0.4, "spam": 0.1},
        risk=0.4,
        reason_codes=["toxicity_uncertain"],
    )
    make_comment(
        article=article,
        author=author,
        body="harsh",
        status="held",
        scores={"toxicity": 0.8, "spam": 0.1},
        risk=0.8,
        reason_codes=["toxicity_uncertain"],
    )
    make_comment(article=article, author=author, body="fine", status="published")
    html = moderator_client.get(QUEUE).content.decode()
    assert html.index("harsh") < html.index("mild")
    assert "fine" not in html
    assert "2 held comments" in html
    assert "Possibly toxic (80% ≥ publish threshold 30%)" in html
    assert article.title in html and author.username in html


def test_it_says_plainly_when_no_model_is_active(moderator_client: Client) -> None:
    make_comment(
        article=make_article(), author=make_user(), status="held", reason_codes=["unscored"]
    )
    html = moderator_client.get(QUEUE).content.decode()
    assert "No classifier model is active" in html
    assert "Unscored" in html


def test_it_names_the_active_model(moderator_client: Client) -> None:
    ClassifierModel.objects.create(version=3, artifact=b"", artifact_sha256="0", is_active=True)
    html = moderator_client.get(QUEUE).content.decode()
    assert "No classifier model is active" not in html
    assert "Scoring with model v3" in html


def test_it_keeps_a_constant_number_of_queries(
    moderator_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    article = make_article()
    for i in range(30):
        make_comment(article=article, author=make_user(f"user{i}"), status="held", risk=i / 30)
    with django_assert_max_num_queries(10):
        moderator_client.get(QUEUE)


def test_it_forbids_readers(client: Client) -> None:
    client.force_login(make_user())
    assert client.get(QUEUE).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={QUEUE}"
