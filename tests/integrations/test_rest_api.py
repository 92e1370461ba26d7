"""The REST API: scopes, the operations, and one error shape for every error."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from pytest_django import Settings

from comments.models import Comment, CommentStatus, EventAction, ModerationEvent
from comments.services import reject_comment
from integrations.models import ApiKey, Scope
from integrations.services import InvalidScopes, create_api_key, revoke_api_key
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

ALL_SCOPES = [scope.value for scope in Scope]
ERROR_KEYS = {"code", "message", "details"}


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    assert body["error"]["code"] == code and body["error"]["message"]
    return dict(body["error"])


@pytest.fixture
def mona() -> Any:
    return make_moderator("mona")


@pytest.fixture
def moderator_key(mona: Any) -> str:
    return create_api_key(name="desk", scopes=ALL_SCOPES, owner=mona)[1]


@pytest.fixture
def stories_key() -> str:
    return create_api_key(name="cms", scopes=[Scope.STORIES_READ])[1]


@pytest.fixture
def story() -> Any:
    return make_article("launch-story", title="Launch story")


@pytest.fixture
def comments(story: Any) -> dict[str, Comment]:
    reader = make_user("rita")
    return {
        "published": make_comment(article=story, author=reader, status=CommentStatus.PUBLISHED),
        "held": make_comment(article=story, author=reader, body="Hmm", status=CommentStatus.HELD),
        "rejected": make_comment(article=story, author=reader, status=CommentStatus.REJECTED),
    }


def test_it_lists_stories_with_the_public_comment_count(
    client: Client, stories_key: str, comments: dict[str, Comment]
) -> None:
    make_article("second-story", title="Second")

    response = client.get("/api/v1/stories", **bearer(stories_key))

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["pages"] == 1
    by_slug = {item["slug"]: item for item in body["items"]}
    assert by_slug["launch-story"]["comment_count"] == 1  # the held and rejected are not public
    assert by_slug["second-story"]["comment_count"] == 0
    assert by_slug["launch-story"]["url"] == "http://testserver/articles/launch-story/"


def test_it_pages_stories(client: Client, stories_key: str) -> None:
    for n in range(3):
        make_article(f"story-{n}")

    second = client.get("/api/v1/stories?page=2&page_size=2", **bearer(stories_key)).json()

    assert (second["page"], second["pages"], second["total"], len(second["items"])) == (2, 2, 3, 1)
    past = client.get("/api/v1/stories?page=3&page_size=2", **bearer(stories_key))
    assert_error(past, 404, "not_found")


def test_it_refuses_a_missing_unknown_or_revoked_key(client: Client, story: Any) -> None:
    api_key, raw = create_api_key(name="cms", scopes=[Scope.STORIES_READ])

    assert_error(client.get("/api/v1/stories"), 401, "unauthenticated")
    assert_error(client.get("/api/v1/stories", **bearer("nk_nope_nope")), 401, "unauthenticated")
    revoke_api_key(api_key=api_key)
    response = client.get("/api/v1/stories", **bearer(raw))
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_an_operation_outside_the_key_scopes(
    client: Client, stories_key: str, comments: dict[str, Comment]
) -> None:
    response = client.get("/api/v1/stories/launch-story/comments", **bearer(stories_key))

    error = assert_error(response, 403, "insufficient_scope")
    assert "comments:read" in error["message"]


def test_it_stops_a_moderator_key_once_its_owner_no_longer_moderates(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    url = "/api/v1/stories/launch-story/comments"
    assert client.get(url, **bearer(moderator_key)).status_code == 200
    mona.groups.remove(Group.objects.get(name="Moderators"))

    response = client.get("/api/v1/stories/launch-story/comments", **bearer(moderator_key))

    assert "no longer moderate" in assert_error(response, 403, "insufficient_scope")["message"]
    # Stories are not moderation data: that scope still works.
    assert client.get("/api/v1/stories", **bearer(moderator_key)).status_code == 200


def test_it_grants_moderator_scopes_only_to_a_key_a_moderator_owns() -> None:
    with pytest.raises(InvalidScopes, match="moderator"):
        create_api_key(name="cms", scopes=[Scope.MODERATE])
    with pytest.raises(InvalidScopes, match="moderator"):
        create_api_key(name="cms", scopes=[Scope.COMMENTS_READ], owner=make_user("rita"))
    with pytest.raises(InvalidScopes, match="Unknown"):
        create_api_key(name="cms", scopes=["everything"])
    assert not ApiKey.objects.exists()


def test_it_lists_a_story_comments_with_their_states(
    client: Client, moderator_key: str, comments: dict[str, Comment]
) -> None:
    body = client.get("/api/v1/stories/launch-story/comments", **bearer(moderator_key)).json()

    assert [item["status"] for item in body["items"]] == ["published", "held", "rejected"]
    held = body["items"][1]
    assert held["id"] == comments["held"].pk and held["body"] == "Hmm" and held["author"] == "rita"
    filtered = client.get(
        "/api/v1/stories/launch-story/comments?status=held", **bearer(moderator_key)
    ).json()
    assert [item["id"] for item in filtered["items"]] == [comments["held"].pk]


def test_it_answers_bad_parameters_with_each_field_named(
    client: Client, moderator_key: str, comments: dict[str, Comment]
) -> None:
    response = client.get(
        "/api/v1/stories/launch-story/comments?status=lost&page=0", **bearer(moderator_key)
    )

    error = assert_error(response, 422, "invalid_request")
    fields = {detail["field"] for detail in error["details"]}
    assert {"query.status", "query.page"} <= fields


def test_it_answers_unknown_stories_comments_and_routes_in_the_error_shape(
    client: Client, moderator_key: str
) -> None:
    assert_error(client.get("/api/v1/stories/nope", **bearer(moderator_key)), 404, "not_found")
    assert_error(client.get("/api/v1/comments/999", **bearer(moderator_key)), 404, "not_found")
    assert_error(client.get("/api/v1/no/such/thing"), 404, "not_found")
    response = client.delete("/api/v1/stories", **bearer(moderator_key))
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_it_approves_through_the_moderators_service_as_the_key_owner(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    held = comments["held"]

    response = client.post(
        f"/api/v1/comments/{held.pk}/approve",
        data={"expected_status": "held"},
        content_type="application/json",
        **bearer(moderator_key),
    )

    assert response.status_code == 200 and response.json()["status"] == "published"
    event = ModerationEvent.objects.get(comment=held, action=EventAction.APPROVED)
    assert event.actor == mona and (event.from_status, event.to_status) == ("held", "published")


def test_it_rejects_with_a_reason_and_restores(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    published = comments["published"]

    rejected = client.post(
        f"/api/v1/comments/{published.pk}/reject",
        data={"reason": "spam", "note": "link farm"},
        content_type="application/json",
        **bearer(moderator_key),
    )
    # No body at all: approve and restore need none.
    restored = Client().generic(
        "POST", f"/api/v1/comments/{published.pk}/restore", b"", **bearer(moderator_key)
    )

    assert rejected.json()["status"] == "rejected", rejected.content
    assert restored.json().get("status") == "published", restored.content
    actions = list(
        ModerationEvent.objects.filter(comment=published).values_list("action", "reject_reason")
    )
    assert actions == [(EventAction.REJECTED, "spam"), (EventAction.RESTORED, "")]


def test_it_features_and_unfeatures_a_published_comment_and_refuses_a_held_one(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    published, held = comments["published"], comments["held"]

    featured = client.post(f"/api/v1/comments/{published.pk}/feature", **bearer(moderator_key))
    assert featured.status_code == 200 and featured.json()["featured"] is True
    event = ModerationEvent.objects.get(comment=published, action=EventAction.FEATURED)
    assert event.actor == mona
    again = client.post(f"/api/v1/comments/{published.pk}/unfeature", **bearer(moderator_key))
    assert again.status_code == 200 and again.json()["featured"] is False
    assert ModerationEvent.objects.filter(action=EventAction.UNFEATURED).count() == 1

    refused = client.post(f"/api/v1/comments/{held.pk}/feature", **bearer(moderator_key))
    assert_error(refused, 409, "conflict")
    held.refresh_from_db()
    assert held.featured_at is None


def test_it_refuses_a_reject_without_a_reason(
    client: Client, moderator_key: str, comments: dict[str, Comment]
) -> None:
    response = client.post(
        f"/api/v1/comments/{comments['held'].pk}/reject",
        data={"reason": "because"},
        content_type="application/json",
        **bearer(moderator_key),
    )

    error = assert_error(response, 422, "invalid_request")
    assert [detail["field"] for detail in error["details"]] == ["body.payload.reason"]
    assert Comment.objects.get(pk=comments["held"].pk).status == CommentStatus.HELD


def test_it_answers_a_transition_the_state_machine_refuses_with_409(
    client: Client, moderator_key: str, comments: dict[str, Comment]
) -> None:
    held = comments["held"]

    restore = client.post(
        f"/api/v1/comments/{held.pk}/restore",
        content_type="application/json",
        **bearer(moderator_key),
    )
    stale = client.post(
        f"/api/v1/comments/{held.pk}/approve",
        data={"expected_status": "pending"},
        content_type="application/json",
        **bearer(moderator_key),
    )

    assert_error(restore, 409, "conflict")
    assert_error(stale, 409, "conflict")
    assert Comment.objects.get(pk=held.pk).status == CommentStatus.HELD


def test_it_refuses_moderation_to_a_read_only_moderator_key(
    client: Client, mona: Any, comments: dict[str, Comment]
) -> None:
    _, raw = create_api_key(name="reader", scopes=[Scope.COMMENTS_READ], owner=mona)

    response = client.post(
        f"/api/v1/comments/{comments['held'].pk}/approve",
        content_type="application/json",
        **bearer(raw),
    )

    assert_error(response, 403, "insufficient_scope")
    assert Comment.objects.get(pk=comments["held"].pk).status == CommentStatus.HELD


def test_it_limits_each_key_with_a_429_in_the_error_shape(
    client: Client, settings: Settings, story: Any
) -> None:
    settings.INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE = 2
    _, raw = create_api_key(name="cms", scopes=[Scope.STORIES_READ])

    answers = [client.get("/api/v1/stories", **bearer(raw)) for _ in range(3)]

    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    assert_error(answers[2], 429, "rate_limited")
    assert answers[2]["Retry-After"] == "60"


def _decide_some(mona: Any, comments: dict[str, Comment]) -> None:
    Comment.objects.filter(pk=comments["published"].pk).update(scores={"toxicity": 0.75})
    for comment in Comment.objects.filter(pk__in=[comments["published"].pk, comments["held"].pk]):
        reject_comment(comment=comment, moderator=mona, reason="abusive")


def test_it_exports_decisions_in_keyset_pages(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    _decide_some(mona, comments)
    url = "/api/v1/decisions?limit=1"

    first = client.get(url, **bearer(moderator_key)).json()
    second = client.get(f"{url}&after={first['next_after']}", **bearer(moderator_key)).json()
    third = client.get(f"{url}&after={second['next_after']}", **bearer(moderator_key)).json()

    assert [item["comment_id"] for item in first["items"] + second["items"]] == [
        comments["published"].pk,
        comments["held"].pk,
    ]
    assert first["items"][0]["moderator"] == "mona" and first["items"][0]["action"] == "rejected"
    assert third == {"items": [], "next_after": None}


def test_it_streams_every_decision_as_csv(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    _decide_some(mona, comments)

    response = client.get("/api/v1/decisions?format=csv", **bearer(moderator_key))

    assert response.streaming and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["comment_id"], row["reject_reason"]) for row in rows] == [
        (str(comments["published"].pk), "abusive"),
        (str(comments["held"].pk), "abusive"),
    ]
    assert json.loads(rows[0]["scores"]) == {"toxicity": 0.75}
    assert rows[1]["scores"] == "{}" and rows[0]["moderator"] == "mona"


def test_it_serves_a_valid_openapi_document_that_documents_the_error_shape(
    client: Client,
) -> None:
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    validate(document)
    error = document["components"]["schemas"]["ErrorOut"]
    body_ref = error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][body_ref]["properties"]) == ERROR_KEYS
    # Every operation documents its errors with that one schema, and the auth it needs.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {code: answer for code, answer in operation["responses"].items()}
            assert {"401", "403", "429", "422"} <= set(errors), (method, path)
            for code, answer in errors.items():
                if code.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
            assert operation["security"], (method, path)
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert {"unauthenticated", "insufficient_scope", "not_found", "rate_limited"} <= set(codes)


def test_it_keeps_a_reported_comment_published_as_the_queue_does(
    client: Client, mona: Any, moderator_key: str, comments: dict[str, Comment]
) -> None:
    from comments.models import Report
    from comments.services import report_comment
    from tests.factories import make_established_reader

    published = comments["published"]
    report_comment(comment=published, reporter=make_established_reader("rex"), reason="spam")

    response = client.post(
        f"/api/v1/comments/{published.pk}/dismiss-reports",
        content_type="application/json",
        **bearer(moderator_key),
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["open_reports"]) == ("published", 0)
    assert Report.objects.get().resolved_by == mona
    event = ModerationEvent.objects.get(comment=published, action=EventAction.APPROVED)
    assert event.actor == mona and "1 report dismissed" in event.note
