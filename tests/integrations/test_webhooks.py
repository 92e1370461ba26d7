"""Webhooks: the signature, the outbox dispatch, and delivery with retries to a real receiver."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from comments.models import Comment, CommentStatus, EventAction
from comments.services import approve_comment, report_comment
from integrations import services, webhooks
from integrations.models import (
    DeliveryStatus,
    OutboxCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from moderation.services import moderate_in_bulk
from tests.factories import (
    make_article,
    make_comment,
    make_established_reader,
    make_moderator,
    make_user,
)
from tests.integrations.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = [event.value for event in WebhookEvent]


# --- The signature --------------------------------------------------------------------------


def test_it_verifies_a_signature_it_made() -> None:
    body = b'{"type":"comment.created"}'
    header = webhooks.sign(secret="whsec_a", body=body, timestamp=1_700_000_000)

    assert header.startswith("t=1700000000,v1=")
    assert webhooks.verify(secret="whsec_a", body=body, header=header, now=1_700_000_100)


@pytest.mark.parametrize(
    ("secret", "body", "now", "why"),
    [
        ("whsec_b", b'{"type":"comment.created"}', 1_700_000_000, "another secret"),
        ("whsec_a", b'{"type":"comment.rejected"}', 1_700_000_000, "a changed body"),
        ("whsec_a", b'{"type":"comment.created"}', 1_700_000_301, "older than the window"),
        ("whsec_a", b'{"type":"comment.created"}', 1_699_999_699, "from the future"),
    ],
)
def test_it_refuses_a_forged_or_stale_signature(
    secret: str, body: bytes, now: int, why: str
) -> None:
    header = webhooks.sign(
        secret="whsec_a", body=b'{"type":"comment.created"}', timestamp=1_700_000_000
    )

    assert not webhooks.verify(secret=secret, body=body, header=header, now=now), why


def test_it_accepts_any_of_several_signatures_and_refuses_malformed_headers() -> None:
    body = b"{}"
    good = webhooks.sign(secret="whsec_new", body=body, timestamp=100).split(",")[1]

    assert webhooks.verify(secret="whsec_new", body=body, header=f"t=100,v1=00,{good}", now=100)
    for header in ("", "v1=00", "t=abc,v1=00", "t=1,t=2,v1=00", "t=100"):
        assert not webhooks.verify(secret="whsec_new", body=body, header=header, now=100)


# --- The outbox -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def outbox_read_to_here(db: None) -> None:
    """The dispatcher has run once: its cursors start at the end of the tables, as in a site
    where beat has been dispatching since before these rows."""
    services.record_webhook_deliveries()


@pytest.fixture
def mona() -> Any:
    return make_moderator("mona")


@pytest.fixture
def story() -> Any:
    return make_article("launch-story")


def endpoint(events: list[str] | None = None, url: str = "http://127.0.0.1:9/hook") -> Any:
    return services.create_webhook_endpoint(url=url, events=events or ALL_EVENTS, created_by=None)


def delivered_events(target: WebhookEndpoint | None = None) -> list[tuple[str, int]]:
    rows = WebhookDelivery.objects.order_by("id")
    if target is not None:
        rows = rows.filter(endpoint=target)
    return [(row.event, row.payload["data"]["comment"]["id"]) for row in rows]


def test_it_records_created_published_held_and_rejected_from_the_outbox(
    mona: Any, story: Any
) -> None:
    hook = endpoint()
    rita = make_user("rita")
    comment = make_comment(article=story, author=rita, status=CommentStatus.HELD)
    held_by_model = make_comment(article=story, author=rita)

    approve_comment(comment=comment, moderator=mona)
    from comments.audit import record_comment_event

    record_comment_event(
        comment=held_by_model,
        actor=None,
        action="scored",
        from_status=CommentStatus.PENDING,
        to_status=CommentStatus.HELD,
    )
    services.record_webhook_deliveries()

    assert delivered_events(hook) == [
        (WebhookEvent.COMMENT_CREATED, comment.pk),
        (WebhookEvent.COMMENT_CREATED, held_by_model.pk),
        (WebhookEvent.COMMENT_PUBLISHED, comment.pk),
        (WebhookEvent.COMMENT_HELD, held_by_model.pk),
    ]
    published = WebhookDelivery.objects.get(event=WebhookEvent.COMMENT_PUBLISHED)
    assert published.payload["data"]["moderator"] == "mona"
    assert published.payload["data"]["comment"]["status"] == "published"
    assert published.status == DeliveryStatus.PENDING and published.next_attempt_at is not None


def test_it_emits_one_event_per_comment_of_a_bulk_decision(mona: Any, story: Any) -> None:
    rita = make_user("rita")
    held = [make_comment(article=story, author=rita, status=CommentStatus.HELD) for _ in range(3)]
    hook = endpoint([WebhookEvent.COMMENT_REJECTED])
    services.record_webhook_deliveries()

    moderate_in_bulk(comments=Comment.objects.held(), moderator=mona, decision="reject")
    services.record_webhook_deliveries()

    assert delivered_events(hook) == [(WebhookEvent.COMMENT_REJECTED, c.pk) for c in held]


def test_it_emits_reported_threshold_when_reports_hide_a_comment(
    settings: Settings, story: Any
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 1
    comment = make_comment(article=story, author=make_user("rita"), status="published")
    reporter = make_established_reader("rex", article=story)
    hook = endpoint([WebhookEvent.COMMENT_REPORTED_THRESHOLD])

    report_comment(comment=comment, reporter=reporter, reason="abusive")
    services.record_webhook_deliveries()

    assert delivered_events(hook) == [(WebhookEvent.COMMENT_REPORTED_THRESHOLD, comment.pk)]


def test_it_records_each_event_once_and_only_for_subscribers(mona: Any, story: Any) -> None:
    created_only = endpoint([WebhookEvent.COMMENT_CREATED])
    disabled = endpoint()
    services.disable_webhook_endpoint(endpoint=disabled)
    make_comment(article=story, author=make_user("rita"))

    services.record_webhook_deliveries()
    services.record_webhook_deliveries()

    assert [row.event for row in WebhookDelivery.objects.all()] == ["comment.created"]
    assert WebhookDelivery.objects.get().endpoint == created_only


def test_it_sends_a_new_endpoint_nothing_of_the_past(story: Any) -> None:
    make_comment(article=story, author=make_user("rita"))
    services.record_webhook_deliveries()  # nobody listens: the cursors skip ahead

    hook = endpoint()
    newer = make_comment(article=story, author=make_user("ruth"))
    services.record_webhook_deliveries()

    assert delivered_events(hook) == [(WebhookEvent.COMMENT_CREATED, newer.pk)]


def test_it_reads_a_row_that_commits_after_a_higher_id_was_read(story: Any) -> None:
    """A transaction that took id n may commit after id n + 1 was read: the gap is read again."""
    hook = endpoint([WebhookEvent.COMMENT_CREATED])
    rita = make_user("rita")
    first = make_comment(article=story, author=rita)
    services.record_webhook_deliveries()
    late_id = first.pk + 1
    make_comment(article=story, author=rita, id=first.pk + 2)

    services.record_webhook_deliveries()
    cursor = OutboxCursor.objects.get(name=services.COMMENTS_CURSOR)
    assert [gap[:2] for gap in cursor.gaps][-1] == [late_id, late_id]
    make_comment(article=story, author=rita, id=late_id)  # the slow transaction commits
    services.record_webhook_deliveries()

    ids = [comment_id for _, comment_id in delivered_events(hook)]
    assert ids == [first.pk, first.pk + 2, late_id]
    cursor = OutboxCursor.objects.get(name=services.COMMENTS_CURSOR)
    assert all(gap[1] < first.pk for gap in cursor.gaps)  # none left past the first comment


def test_it_reads_a_late_bulk_range_a_page_at_a_time(story: Any) -> None:
    """A bulk insert's ids, committed after a later row was read, come in pages of `limit`."""
    hook = endpoint([WebhookEvent.COMMENT_CREATED])
    rita = make_user("rita")
    first = make_comment(article=story, author=rita)
    services.record_webhook_deliveries()
    make_comment(article=story, author=rita, id=first.pk + 5)
    services.record_webhook_deliveries()
    for offset in range(1, 5):  # the bulk commits: four ids at once
        make_comment(article=story, author=rita, id=first.pk + offset)

    reads = []
    for _ in range(3):
        services.record_webhook_deliveries(limit=2)
        reads.append(len(delivered_events(hook)))

    assert reads == [4, 6, 6]
    ids = sorted(comment_id for _, comment_id in delivered_events(hook))
    assert ids == [first.pk + offset for offset in range(6)]


def test_it_forgets_a_gap_once_it_is_old_enough_to_be_a_rollback(story: Any) -> None:
    rita = make_user("rita")
    endpoint([WebhookEvent.COMMENT_CREATED])
    first = make_comment(article=story, author=rita)
    services.record_webhook_deliveries()
    make_comment(article=story, author=rita, id=first.pk + 2)
    services.record_webhook_deliveries()
    cursor = OutboxCursor.objects.get(name=services.COMMENTS_CURSOR)
    cursor.gaps = [
        [low, high, noticed - services.OUTBOX_GAP_SECONDS] for low, high, noticed in cursor.gaps
    ]
    cursor.save()

    services.record_webhook_deliveries()

    assert OutboxCursor.objects.get(name=services.COMMENTS_CURSOR).gaps == []


def test_posting_a_comment_sends_nothing_outbound(client: Client, story: Any) -> None:
    """A dead or slow endpoint cannot slow posting: the request only saves the comment."""
    with webhook_receiver() as receiver:
        endpoint(url=receiver.url)
        client.force_login(make_user("rita"))

        response = client.post(f"/articles/{story.slug}/comments/", {"body": "First!"})

        assert response.status_code in (200, 302)
        assert Comment.objects.filter(body="First!").exists()
        assert receiver.requests == [] and not WebhookDelivery.objects.exists()


# --- Delivery ---------------------------------------------------------------------------------


def _one_delivery(url: str, story: Any) -> WebhookDelivery:
    endpoint(url=url)
    make_comment(article=story, author=make_user("rita"), body="Hello <world>")
    services.record_webhook_deliveries()
    return WebhookDelivery.objects.get()


def test_it_delivers_a_signed_payload(story: Any) -> None:
    with webhook_receiver() as receiver:
        delivery = _one_delivery(receiver.url, story)

        assert services.take_due_deliveries() == [(delivery.pk, 0)]
        done = services.deliver_webhook(delivery_id=delivery.pk, attempts=0)

    assert done is not None and done.status == DeliveryStatus.DELIVERED and done.attempts == 1
    (request,) = receiver.requests
    secret = delivery.endpoint.secret
    assert webhooks.verify(
        secret=secret, body=request.body, header=request.headers["Newsroom-Signature"]
    )
    assert request.headers["Newsroom-Event"] == "comment.created"
    assert request.headers["Content-Type"] == "application/json"
    document = json.loads(request.body)
    assert (
        document["type"] == "comment.created"
        and document["id"] == f"evt_c{Comment.objects.get().pk}"
    )
    assert document["data"]["comment"]["body"] == "Hello <world>"


def test_it_retries_with_exponential_backoff_until_delivered(
    settings: Settings, story: Any
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    with webhook_receiver(statuses=[500, 503, 200]) as receiver:
        delivery = _one_delivery(receiver.url, story)

        first = services.deliver_webhook(delivery_id=delivery.pk, attempts=0)
        assert first is not None and first.status == DeliveryStatus.PENDING
        assert first.next_attempt_at == first.last_attempt_at + timedelta(seconds=30)
        assert first.last_status_code == 500 and "receiver says no" in first.last_error
        # A second copy of the same task (the broker redelivered it) does nothing.
        assert services.deliver_webhook(delivery_id=delivery.pk, attempts=0) is None
        assert services.take_due_deliveries() == []  # not due yet

        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert services.take_due_deliveries() == [(delivery.pk, 1)]
        second = services.deliver_webhook(delivery_id=delivery.pk, attempts=1)
        assert second is not None
        assert second.next_attempt_at == second.last_attempt_at + timedelta(seconds=60)

        third = services.deliver_webhook(delivery_id=delivery.pk, attempts=2)

    assert third is not None and third.status == DeliveryStatus.DELIVERED
    assert (third.attempts, third.last_error, third.next_attempt_at) == (3, "", None)
    assert len(receiver.requests) == 3
    # Each attempt is signed when it is made, and every one verifies.
    for request in receiver.requests:
        header = request.headers["Newsroom-Signature"]
        assert webhooks.verify(secret=delivery.endpoint.secret, body=request.body, header=header)


def test_it_gives_up_after_the_last_attempt_and_redelivers_on_request(
    settings: Settings, story: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with webhook_receiver(statuses=[500, 500, 200]) as receiver:
        delivery = _one_delivery(receiver.url, story)
        services.deliver_webhook(delivery_id=delivery.pk, attempts=0)
        failed = services.deliver_webhook(delivery_id=delivery.pk, attempts=1)
        assert failed is not None and failed.status == DeliveryStatus.FAILED
        assert failed.next_attempt_at is None and services.take_due_deliveries() == []

        assert services.redeliver(delivery=failed)
        assert services.take_due_deliveries() == [(delivery.pk, 0)]
        again = services.deliver_webhook(delivery_id=delivery.pk, attempts=0)

    assert again is not None and again.status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 3


def test_it_records_a_timeout_and_an_unreachable_endpoint(settings: Settings, story: Any) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    with webhook_receiver(delay=1.0) as receiver:
        delivery = _one_delivery(receiver.url, story)
        slow = services.deliver_webhook(delivery_id=delivery.pk, attempts=0)

    assert slow is not None and slow.status == DeliveryStatus.PENDING
    assert "timed out" in slow.last_error and slow.last_status_code is None

    # The receiver is gone: its port now refuses connections.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    gone = services.deliver_webhook(delivery_id=delivery.pk, attempts=1)
    assert gone is not None and "Request failed" in gone.last_error and gone.attempts == 2


def test_the_backoff_doubles_up_to_its_cap(settings: Settings) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600

    delays = [services.retry_delay(n).total_seconds() for n in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_it_refuses_an_endpoint_at_a_private_address_unless_allowed(
    settings: Settings, story: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with webhook_receiver() as receiver:
        delivery = _one_delivery(receiver.url, story)
        refused = services.deliver_webhook(delivery_id=delivery.pk, attempts=0)

        assert refused is not None and refused.status == DeliveryStatus.PENDING
        assert "127.0.0.1, a private address" in refused.last_error
        assert receiver.requests == []


def test_it_emits_featured_from_issue_11s_audit_action(mona: Any, story: Any) -> None:
    """Featuring is issue 11's; its audit row (EventAction.FEATURED) is what the outbox reads."""
    from comments.audit import record_comment_event

    comment = make_comment(article=story, author=make_user("rita"), status="published")
    hook = endpoint([WebhookEvent.COMMENT_FEATURED, WebhookEvent.COMMENT_PUBLISHED])
    for action in (EventAction.FEATURED, EventAction.UNFEATURED):
        record_comment_event(
            comment=comment,
            actor=mona,
            action=action,
            from_status=CommentStatus.PUBLISHED,
            to_status=CommentStatus.PUBLISHED,
        )

    services.record_webhook_deliveries()

    assert delivered_events(hook) == [(WebhookEvent.COMMENT_FEATURED, comment.pk)]
    assert WebhookDelivery.objects.get().payload["data"]["moderator"] == "mona"
