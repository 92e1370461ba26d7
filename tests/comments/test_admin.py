from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from comments.models import ClassifierModel, Comment, ModerationEvent
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client: Client) -> Client:
    editor = get_user_model().objects.create_superuser("eddie", password="x-long-password-1")
    client.force_login(editor)
    return client


def test_it_lists_comments_filtered_by_status(editor_client: Client) -> None:
    article = make_article()
    make_comment(article=article, author=make_user(), body="held body", status="held")
    make_comment(
        article=article, author=make_user("bob"), body="published body", status="published"
    )
    html = editor_client.get("/admin/comments/comment/?status__exact=held").content.decode()
    assert "1 comment" in html
    assert "By status" in html


def test_it_approves_and_rejects_through_the_shared_services(editor_client: Client) -> None:
    article = make_article()
    held = make_comment(article=article, author=make_user(), status="held")
    published = make_comment(article=article, author=make_user("bob"), status="published")
    response = editor_client.post(
        "/admin/comments/comment/",
        {"action": "approve_selected", "_selected_action": [held.pk, published.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 comment(s) approved." in html
    assert "1 comment(s) skipped: already in that state." in html
    held.refresh_from_db()
    assert held.status == "published"
    event = ModerationEvent.objects.get()
    assert (event.comment, event.actor.username, event.action) == (held, "eddie", "approved")

    editor_client.post(
        "/admin/comments/comment/",
        {"action": "reject_selected", "_selected_action": [held.pk]},
    )
    assert Comment.objects.get(pk=held.pk).status == "rejected"


def test_it_shows_model_versions_without_their_bytes(editor_client: Client) -> None:
    ClassifierModel.objects.create(
        version=7,
        artifact=b"\x00" * 10,
        artifact_sha256="0",
        metrics={"toxicity": {"roc_auc": 0.97}},
    )
    html = editor_client.get("/admin/comments/classifiermodel/").content.decode()
    assert "0.97" in html
    assert editor_client.get("/admin/comments/moderationevent/").status_code == 200
    assert editor_client.get("/admin/articles/article/").status_code == 200
