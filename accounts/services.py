"""Writes of accounts/: every email is stored here, in the caller's transaction, and sent by a
worker after commit (accounts.delivery), so nothing is lost when the broker is down."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import broker
from accounts.models import (
    DELETED_USERNAME,
    DispatchCursor,
    EmailFrequency,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutgoingEmail,
)
from comments import live
from comments.authors import public_name
from comments.models import (
    Appeal,
    AppealStatus,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
)

UNSUBSCRIBE_SALT = "accounts.unsubscribe"


def queue_email(*, message: EmailMessage, key: str | None = None) -> OutgoingEmail:
    """Store `message` under `key` (once: a second call with the same key changes nothing) and
    send it from a worker once the surrounding transaction commits."""
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(c) for c, mime in message.alternatives if mime == "text/html"), "")
    body = str(message.body)
    if message.content_subtype == "html":
        body, html = "", body
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a duplicate key leaves the outer one usable
                email = OutgoingEmail.objects.create(
                    key=key or f"once:{uuid.uuid4().hex}",
                    to=message.to[0],
                    subject=str(message.subject),
                    body=body,
                    html=html,
                    headers=dict(message.extra_headers),
                )
        except IntegrityError:
            return OutgoingEmail.objects.get(key=key)
        # Not delay_on_commit: a dead broker must not fail the request that wrote the row.
        transaction.on_commit(lambda: broker.enqueue_email(email_id=email.pk))
    return email


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token that turns one kind of email off for one reader, with no sign-in."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def set_email_frequency(*, user: Any, kind: str, frequency: str) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"frequency": frequency}
    )


def email_frequency(*, user_id: int, kind: str) -> str:
    stored = (
        NotificationPreference.objects.filter(user_id=user_id, kind=kind)
        .values_list("frequency", flat=True)
        .first()
    )
    return stored or EmailFrequency.IMMEDIATELY


def verified_address(user_id: int) -> str | None:
    return (
        EmailAddress.objects.filter(user_id=user_id, verified=True)
        .order_by("-primary")
        .values_list("email", flat=True)
        .first()
    )


def notify(
    *, recipient_id: int, kind: str, text: str, key: str, comment_id: int | None = None
) -> Notification | None:
    """Tell a reader something in the bell, and by email if they want it at once.

    Idempotent by `key`: the second call for one event records and sends nothing more.
    """
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            key=key,
            defaults={
                "recipient_id": recipient_id,
                "kind": kind,
                "text": text,
                "comment_id": comment_id,
            },
        )
        if not created:
            return None
        if email_frequency(user_id=recipient_id, kind=kind) == EmailFrequency.IMMEDIATELY:
            address = verified_address(recipient_id)
            if address:
                queue_email(
                    message=notification_email(notification, address), key=f"notification:{key}"
                )
                notification.emailed_at = timezone.now()
                notification.save(update_fields=["emailed_at"])
    return notification


def notification_email(notification: Notification, address: str) -> EmailMessage:
    """One notification as an email, with a signed one-click unsubscribe from its kind."""
    unsubscribe = settings.SITE_URL + reverse(
        "accounts:unsubscribe",
        kwargs={
            "token": unsubscribe_token(user_id=notification.recipient_id, kind=notification.kind)
        },
    )
    link = ""
    if notification.comment_id:
        link = settings.SITE_URL + reverse(
            "comments:detail", kwargs={"pk": notification.comment_id}
        )
    body = "\n\n".join(
        part
        for part in (
            notification.text,
            f"See it: {link}" if link else "",
            f"Stop these emails: {unsubscribe}",
        )
        if part
    )
    return EmailMessage(
        subject=f"[Newsroom] {notification.text}"[:300],
        body=body,
        to=[address],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def tell_author_appeal_decided(*, appeal: Appeal) -> Notification | None:
    """Tell the author how their appeal ended (in the bell, and by email per preference)."""
    title = appeal.comment.article.title
    if appeal.status == AppealStatus.OVERTURNED:
        text = f"Your appeal succeeded: your comment on “{title}” is published."
    else:
        text = f"Your appeal was reviewed: your comment on “{title}” stays unpublished."
    return notify(
        recipient_id=appeal.author_id,
        kind=NotificationKind.APPEAL,
        text=text,
        key=f"appeal:{appeal.pk}",
        comment_id=appeal.comment_id,
    )


def mark_read(*, user: Any, notification_ids: list[int] | None = None) -> int:
    """Mark a reader's own notifications read (all of them when no ids are given)."""
    unread = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def save_display_name(*, user: Any, display_name: str) -> None:
    """The name readers see on this reader's comments; empty shows their username."""
    with transaction.atomic():
        user.first_name = display_name
        user.save(update_fields=["first_name"])
        # Signed-out readers' cached comment sections show the old name until their article's
        # version moves.
        live.bump_on_commit(_articles_commented_by(user))


def _articles_commented_by(user: Any) -> set[int]:
    return set(Comment.objects.by_author(user).values_list("article_id", flat=True).distinct())


# Events younger than this are left for the next pass: an id handed out by a transaction still
# open when we read could otherwise commit below the cursor and be skipped.
DISPATCH_LAG = timedelta(seconds=1)
DISPATCH_BATCH = 500
FEATURED = "featured"  # EventAction.FEATURED on the conversation branch (CONTRACTS.md)


def dispatch_notifications(*, batch: int = DISPATCH_BATCH) -> int:
    """Read the moderation-event outbox past this consumer's cursor and notify the readers
    concerned; the cursor advances in the same transaction that records the notifications."""
    created = 0
    with transaction.atomic():
        cursor, _ = DispatchCursor.objects.select_for_update().get_or_create(name="notifications")
        events = list(
            ModerationEvent.objects.filter(
                id__gt=cursor.last_event_id, created_at__lte=timezone.now() - DISPATCH_LAG
            )
            .select_related(
                "comment__article", "comment__author", "comment__parent", "comment__appeal"
            )
            .order_by("id")[:batch]
        )
        for event in events:
            for note in notifications_for(event):
                created += notify(**note) is not None
        if events:
            cursor.last_event_id = events[-1].pk
            cursor.save(update_fields=["last_event_id"])
    return created


def notifications_for(event: ModerationEvent) -> list[dict[str, Any]]:
    """What one audit event tells whom: a reply published, a held comment decided, featured."""
    comment = event.comment
    if comment is None:
        return []
    title = comment.article.title
    found: list[dict[str, Any]] = []
    published = event.to_status == CommentStatus.PUBLISHED and event.from_status != event.to_status
    parent = comment.parent
    if published and parent is not None and parent.author_id != comment.author_id:
        found.append(
            {
                "recipient_id": parent.author_id,
                "kind": NotificationKind.REPLY,
                "text": f"{public_name(comment.author)} replied to your comment on “{title}”.",
                "key": f"reply:{comment.pk}",  # once per reply, however often it is published
                "comment_id": comment.pk,
            }
        )
    if (
        event.from_status == CommentStatus.HELD
        and event.to_status in (CommentStatus.PUBLISHED, CommentStatus.REJECTED)
        and not _overturns_appeal(event)
    ):
        outcome = "is published" if published else "was not published"
        found.append(
            {
                "recipient_id": comment.author_id,
                "kind": NotificationKind.DECIDED,
                "text": f"Your comment on “{title}” {outcome}.",
                "key": f"event:{event.pk}",
                "comment_id": comment.pk,
            }
        )
    if event.action == FEATURED:
        found.append(
            {
                "recipient_id": comment.author_id,
                "kind": NotificationKind.FEATURED,
                "text": f"Your comment on “{title}” was featured.",
                "key": f"event:{event.pk}",
                "comment_id": comment.pk,
            }
        )
    return found


def _overturns_appeal(event: ModerationEvent) -> bool:
    """Whether `event` published a held comment on its author's appeal: the appeal's own
    notification ("Your appeal succeeded…") tells them, so they are not told twice."""
    try:
        appeal = event.comment.appeal  # type: ignore[union-attr]
    except Appeal.DoesNotExist:
        return False
    return appeal.status == AppealStatus.OVERTURNED and appeal.decided_by_id == event.actor_id


def send_daily_digests() -> int:
    """Email each reader who chose the daily digest what they were told and not yet emailed."""
    daily = NotificationPreference.objects.filter(frequency=EmailFrequency.DAILY)
    sent = 0
    for user_id in daily.values_list("user_id", flat=True).distinct():
        kinds = list(daily.filter(user_id=user_id).values_list("kind", flat=True))
        address = verified_address(user_id)
        with transaction.atomic():
            waiting = list(
                Notification.objects.select_for_update()
                .filter(recipient_id=user_id, kind__in=kinds, emailed_at__isnull=True)
                .order_by("created_at", "id")
            )
            if not waiting or not address:
                continue
            lines = "\n".join(f"- {n.text}" for n in waiting)
            queue_email(
                message=EmailMessage(
                    subject=f"[Newsroom] Your daily digest: {len(waiting)} new",
                    body=f"{lines}\n\nAll of them: {settings.SITE_URL}"
                    + reverse("accounts:notifications"),
                    to=[address],
                ),
                key=f"digest:{user_id}:{waiting[-1].pk}",
            )
            Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(
                emailed_at=timezone.now()
            )
            sent += 1
    return sent


def alert_moderators_if_waiting() -> bool:
    """Email (and post to the webhook, if set) once per oldest held comment that has waited
    longer than MODERATION_WAIT_ALERT_SECONDS; True if an alert was recorded."""
    oldest = Comment.objects.held().order_by("created_at", "id").first()
    if oldest is None:
        return False
    waited = timezone.now() - oldest.created_at
    if waited.total_seconds() <= settings.MODERATION_WAIT_ALERT_SECONDS:
        return False
    text = (
        f"A held comment has waited {int(waited.total_seconds() // 60)} minutes for a moderator: "
        f"{settings.SITE_URL}{reverse('moderation:queue')}"
    )
    with transaction.atomic():
        # One alert per oldest held comment: the mark row remembers which one was alerted
        # about (its last_event_id holds that comment's id), locked against a second worker.
        mark, _ = DispatchCursor.objects.select_for_update().get_or_create(name="held-alert")
        if mark.last_event_id == oldest.pk:
            return False
        mark.last_event_id = oldest.pk
        mark.save(update_fields=["last_event_id"])
        key = f"held-alert:{oldest.pk}"
        for address in settings.MODERATION_ALERT_EMAILS:
            queue_email(
                message=EmailMessage("[Newsroom] Held comments are waiting", text, to=[address]),
                key=f"{key}:{address}",
            )
        if settings.MODERATION_ALERT_WEBHOOK_URL:
            transaction.on_commit(lambda: broker.enqueue_webhook(key=key, text=text))
    return True


def deleted_user() -> Any:
    """The one inactive account that keeps the comments of readers who deleted theirs."""
    user, created = get_user_model().objects.get_or_create(
        username=DELETED_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def delete_account(*, user: Any) -> dict[str, int]:
    """Delete a reader's account and everything of theirs (audited).

    Their comments are kept under "deleted user" (ACCOUNTS_DELETED_COMMENTS="anonymise", the
    default: replies and moderators' decisions keep their context) or deleted with the account
    ("remove"). Everything else goes: name, addresses, sessions, preferences, notifications,
    reports, appeals' notes, sign-in failures, standing and moderators' notes about them.
    """
    anonymise = settings.ACCOUNTS_DELETED_COMMENTS != "remove"
    with transaction.atomic():
        user_id, username = user.pk, user.username
        # Cached pages must not keep showing the reader's name (or removed comments).
        live.bump_on_commit(_articles_commented_by(user))
        kept = 0
        if anonymise:
            sentinel = deleted_user()
            kept = Comment.objects.filter(author=user).update(author=sentinel)
            Appeal.objects.filter(author=user).update(author=sentinel, note="")
        removed = 0 if anonymise else Comment.objects.filter(author=user).count()
        for session in UserSession.objects.filter(user=user):
            session.end()
        AccessAttempt.objects.filter(username=username).delete()
        user.delete()  # cascades: addresses, notifications, reports, standing, notes
        ModerationEvent.objects.create(
            actor=None,
            action=EventAction.ACCOUNT_DELETED,
            note=(
                f"Account #{user_id} deleted by its owner; {kept} comments kept as "
                f"“{DELETED_USERNAME}”, {removed} removed."
            ),
        )
    return {"kept": kept, "removed": removed}
