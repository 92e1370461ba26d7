"""Keys, rate limits, suggested labels and Coral's request log: the integrations' writes.

None of this imports the model: scoring is `integrations.scoring`'s, loaded only when a request
needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article
from comments.models import Comment, ExternalLabel, ModerationEvent
from integrations import webhooks
from integrations.coral import CoralRequest
from integrations.models import (
    MODERATOR_SCOPES,
    ApiKey,
    CoralModerationRequest,
    DeliveryStatus,
    EmbedOrigin,
    OutboxCursor,
    Scope,
    SsoIdentity,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    hash_key,
    new_raw_key,
)
from integrations.perspective import ATTRIBUTES, SuggestRequest
from integrations.sso import SsoClaims

logger = logging.getLogger(__name__)


class InvalidScopes(ValueError):
    """Scopes that do not exist, or moderators' scopes for a key no moderator owns."""


def create_api_key(
    *,
    name: str,
    rate_limit_per_minute: int | None = None,
    scopes: Iterable[str] = (),
    owner: Any = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its raw secret, which is stored only hashed.

    `scopes` are the REST API's (Scope); those that read or change moderation data need an
    `owner` who moderates, in whose name the key then acts.
    """
    granted = sorted(set(scopes))
    unknown = [scope for scope in granted if scope not in Scope.values]
    if unknown:
        raise InvalidScopes(f"Unknown scope(s): {', '.join(unknown)}.")
    needs_moderator = MODERATOR_SCOPES.intersection(granted)
    if needs_moderator and (owner is None or not owner.has_perm("comments.moderate_comment")):
        raise InvalidScopes(
            f"{', '.join(sorted(needs_moderator))} need(s) a key owned by a moderator."
        )
    raw, prefix = new_raw_key()
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw),
        rate_limit_per_minute=rate_limit_per_minute,
        scopes=granted,
        owner=owner,
    )
    return api_key, raw


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def authenticate_api_key(*, raw: str) -> ApiKey | None:
    """The usable key `raw` names, or None (unknown, malformed or revoked). Reads only."""
    parts = raw.split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != "nk":
        return None
    api_key = ApiKey.objects.usable().filter(prefix=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(raw)):
        return None
    return api_key


@dataclass(frozen=True)
class Usage:
    requests: int
    last_used: float | None  # a Unix time


def take_request(*, api_key: ApiKey) -> bool:
    """Count one request against the key's minute; False when it is over its limit.

    Counted in the cache, not the database: a scoring request with doNotStore writes nothing
    there. `add` then `incr` is atomic in Redis and in the local-memory cache alike, so two
    processes at the limit cannot both slip under it (with a shared cache).
    """
    now = time.time()
    minute = f"integrations:rate:{api_key.pk}:{int(now // 60)}"
    cache.add(minute, 0, timeout=120)
    count = cache.incr(minute)
    total = f"integrations:uses:{api_key.pk}"
    cache.add(total, 0, timeout=None)
    cache.incr(total)
    cache.set(f"integrations:last-used:{api_key.pk}", now, timeout=None)
    return count <= api_key.limit_per_minute


def usage_of(*, api_key: ApiKey) -> Usage:
    """The key's request count and last use, as the cache has kept them."""
    return Usage(
        requests=cache.get(f"integrations:uses:{api_key.pk}", 0),
        last_used=cache.get(f"integrations:last-used:{api_key.pk}"),
    )


def store_suggested_scores(*, api_key: ApiKey, request: SuggestRequest) -> list[ExternalLabel]:
    """Keep a `comments:suggestscore` as labelled examples, one per attribute, for training."""
    return ExternalLabel.objects.bulk_create(
        ExternalLabel(
            source=api_key.source,
            external_id=(request.client_token or "")[:200],
            text=request.text,
            label=ATTRIBUTES[name],
            value=value,
        )
        for name, value in request.scores.items()
    )


class ReplayedRequest(Exception):
    """This signed body was answered before."""


def is_replayed(*, body_sha256: str) -> bool:
    return CoralModerationRequest.objects.filter(body_sha256=body_sha256).exists()


def record_coral_request(
    *,
    request: CoralRequest,
    body_sha256: str,
    status: str,
    actions: list[dict[str, str]],
    reason_codes: list[str],
    scores: dict[str, float],
    model_version_id: int | None,
) -> CoralModerationRequest:
    """Keep what we answered Coral and why; raise ReplayedRequest for a body seen before."""
    try:
        # The unique digest decides between two deliveries of one body racing here.
        with transaction.atomic():
            return CoralModerationRequest.objects.create(
                body_sha256=body_sha256,
                action=request.action,
                tenant_id=request.tenant_id[:100],
                story_id=request.story_id[:100],
                story_url=request.story_url[:2000],
                author_id=request.author_id[:100],
                parent_id=request.parent_id[:100],
                status=status,
                actions=actions,
                reason_codes=reason_codes,
                scores=scores,
                model_version_id=model_version_id,
            )
    except IntegrityError as error:
        raise ReplayedRequest from error


# --- Webhooks ------------------------------------------------------------------------------
#
# The outbox (CONTRACTS.md): comments/ writes its audit rows (ModerationEvent, one INSERT ...
# SELECT for a bulk decision) and its Comment rows, and knows nothing of webhooks. The
# dispatcher, a beat task single-flight under a Redis lock, reads what is new past its cursors,
# records one WebhookDelivery per subscribed endpoint in the same transaction that moves the
# cursors (so a crash or a broker outage loses nothing), and hands the due deliveries to the
# workers once that has committed.

EVENTS_CURSOR = "webhooks:moderation-events"
COMMENTS_CURSOR = "webhooks:comments"
# An id still unseen this long after a higher one was read is a rolled-back insert's.
OUTBOX_GAP_SECONDS = 300
OUTBOX_MAX_GAPS = 100  # ranges of ids


def create_webhook_endpoint(*, url: str, events: Iterable[str], created_by: Any) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret; it receives events from now on, not before."""
    return WebhookEndpoint.objects.create(
        url=url, events=sorted(set(events)), secret=webhooks.new_secret(), created_by=created_by
    )


def disable_webhook_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop new deliveries to `endpoint` (pending ones are given up); its log stays."""
    now = timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
            disabled_at=now
        )
        endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_error="Given up: the endpoint was disabled.",
        )
    endpoint.refresh_from_db(fields=["disabled_at"])
    return endpoint


def redeliver(*, delivery: WebhookDelivery) -> bool:
    """Queue a delivery again, with a fresh run of attempts; False if one is under way.

    Nothing leaves here: the dispatcher hands it to a worker within seconds.
    """
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk, endpoint__disabled_at__isnull=True)
        .exclude(status=DeliveryStatus.PENDING)
        .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
    )


def _read_outbox(queryset: Any, cursor: OutboxCursor, limit: int) -> list[Any]:
    """Rows past `cursor`, and rows that have appeared in its gaps since; move the cursor.

    Gaps are ranges of ids `[low, high, first noticed]`: a bulk decision's INSERT ... SELECT
    takes thousands of ids at once and commits them together, perhaps after a later id was read.
    """
    late: list[Any] = []
    if cursor.gaps:
        in_gaps = Q()
        for low, high, _ in cursor.gaps:
            in_gaps |= Q(id__range=(low, high))
        late = list(queryset.filter(in_gaps).order_by("id")[:limit])
    fresh = list(queryset.filter(id__gt=cursor.last_id).order_by("id")[:limit])
    late_ids = [row.id for row in late]
    # A full page of late rows may have left more in the gaps past its last id.
    read_to = late_ids[-1] if len(late) == limit else None
    now = time.time()
    gaps = []
    for low, high, noticed in cursor.gaps:
        if now - noticed >= OUTBOX_GAP_SECONDS:
            continue  # a rolled-back transaction's ids, or rows deleted before they were read
        top = high if read_to is None else min(high, read_to)
        gaps += _unseen(low, top, [i for i in late_ids if low <= i <= top], noticed)
        if read_to is not None and high > read_to:
            gaps.append([max(low, read_to + 1), high, noticed])
    if fresh:
        fresh_ids = [row.id for row in fresh]
        gaps += _unseen(cursor.last_id + 1, fresh_ids[-1], fresh_ids, now)
        cursor.last_id = fresh_ids[-1]
    cursor.gaps = gaps[-OUTBOX_MAX_GAPS:]
    return late + fresh


def _unseen(low: int, high: int, seen: list[int], noticed: float) -> list[list[Any]]:
    """The ranges of [low, high] left once the (ascending) `seen` ids are taken out."""
    ranges: list[list[Any]] = []
    start = low
    for seen_id in seen:
        if seen_id > start:
            ranges.append([start, seen_id - 1, noticed])
        start = max(start, seen_id + 1)
    if start <= high:
        ranges.append([start, high, noticed])
    return ranges


def _comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "story": comment.article.slug,
        "story_url": comment.article.get_absolute_url(),
        "author": comment.author.get_username(),
        "parent_id": comment.parent_id,
        "body": comment.body,
        "status": comment.status,
        "created_at": comment.created_at.isoformat(),
    }


def _events_of(events: list[ModerationEvent]) -> list[tuple[str, str, dict[str, Any]]]:
    """(webhook event, key, payload) for each audit row that means one."""
    found = []
    for row in events:
        kind = webhooks.event_for(
            action=row.action, from_status=row.from_status, to_status=row.to_status
        )
        if kind is None or row.comment is None:
            continue
        comment = {**_comment_data(row.comment), "status": row.to_status}
        document = webhooks.payload(
            event_id=f"evt_m{row.pk}",
            event=kind,
            occurred_at=row.created_at,
            comment=comment,
            action=row.action,
            moderator=row.actor.get_username() if row.actor else None,
            reason_codes=row.reason_codes,
            reject_reason=row.reject_reason,
            note=row.note,
        )
        found.append((kind, f"event:{row.pk}", document))
    return found


def _created_of(comments: list[Comment]) -> list[tuple[str, str, dict[str, Any]]]:
    kind = WebhookEvent.COMMENT_CREATED
    return [
        (
            kind,
            f"comment:{comment.pk}",
            webhooks.payload(
                event_id=f"evt_c{comment.pk}",
                event=kind,
                occurred_at=comment.created_at,
                comment=_comment_data(comment),
            ),
        )
        for comment in comments
    ]


def _cursor(name: str, table: Any) -> OutboxCursor:
    # A new cursor starts at the end of its table: webhooks report what happens from the first
    # dispatch on, never the history before it.
    OutboxCursor.objects.get_or_create(
        name=name, defaults={"last_id": table.objects.aggregate(m=Max("id"))["m"] or 0}
    )
    return OutboxCursor.objects.select_for_update().get(name=name)


def record_webhook_deliveries(*, limit: int = 500) -> int:
    """Read the outbox past the cursors; record a delivery per subscribed endpoint; return how
    many. The cursors move in the same transaction, so each event is recorded exactly once."""
    endpoints = list(WebhookEndpoint.objects.filter(disabled_at__isnull=True))
    now = timezone.now()
    with transaction.atomic():
        events_cursor = _cursor(EVENTS_CURSOR, ModerationEvent)
        comments_cursor = _cursor(COMMENTS_CURSOR, Comment)
        if not endpoints:
            # Nobody listens: skip to the end, so an endpoint registered later is not sent
            # the whole history at once.
            events_cursor.last_id = ModerationEvent.objects.aggregate(m=Max("id"))["m"] or 0
            comments_cursor.last_id = Comment.objects.aggregate(m=Max("id"))["m"] or 0
            events_cursor.gaps = comments_cursor.gaps = []
            found = []
        else:
            # Every audit row, those about authors and rules too: filtering them out here would
            # leave holes in the ids that look like uncommitted rows (gaps).
            events = _read_outbox(
                ModerationEvent.objects.select_related(
                    "comment__article", "comment__author", "actor"
                ),
                events_cursor,
                limit,
            )
            comments = _read_outbox(
                Comment.objects.select_related("article", "author"), comments_cursor, limit
            )
            # Creations first: a comment is created before anything happens to it. (Retries can
            # still reorder deliveries: receivers order by `created_at`.)
            found = _created_of(comments) + _events_of(events)
        deliveries = [
            WebhookDelivery(
                endpoint=endpoint,
                event=kind,
                event_key=key,
                payload=document,
                next_attempt_at=now,
                created_at=now,
            )
            for kind, key, document in found
            for endpoint in endpoints
            if kind in endpoint.events
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        for cursor in (events_cursor, comments_cursor):
            cursor.updated_at = now
            cursor.save(update_fields=["last_id", "gaps", "updated_at"])
    return len(deliveries)


def take_due_deliveries(*, limit: int = 500) -> list[tuple[int, int]]:
    """The deliveries to hand to workers now, as (id, attempts so far).

    Each is pushed WEBHOOK_REQUEUE_SECONDS into the future as it is taken: if its task is lost
    (the broker down, a worker killed), the next dispatch after that takes it again.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.due(now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", "attempts")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in due]).update(
            next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_REQUEUE_SECONDS)
        )
    return due


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: the base, doubled after each failed attempt, up to the cap."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), settings.WEBHOOK_RETRY_MAX_SECONDS))


def deliver_webhook(*, delivery_id: int, attempts: int) -> WebhookDelivery | None:
    """Make attempt number `attempts + 1` of a delivery; None if it is not this task's to make.

    A task handed out twice (a redelivery by the broker, a requeue) finds the attempt claimed or
    already counted and does nothing: the lease is taken with one conditional UPDATE, and the
    HTTP request runs outside any transaction.
    """
    now = timezone.now()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempts
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=4 * timeout + 5))
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = webhooks.encode(delivery.payload)
    signature = webhooks.sign(
        secret=delivery.endpoint.secret, body=body, timestamp=int(time.time())
    )
    outcome = webhooks.post(
        url=delivery.endpoint.url,
        body=body,
        headers={
            webhooks.SIGNATURE_HEADER: signature,
            "Newsroom-Event": delivery.event,
            "Newsroom-Delivery": str(delivery.pk),
        },
        timeout=timeout,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
    )
    return _record_attempt(delivery, outcome)


def _record_attempt(delivery: WebhookDelivery, outcome: webhooks.Outcome) -> WebhookDelivery:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.lease_until = None
    if outcome.delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
        delivery.last_error = ""
    else:
        delivery.last_error = outcome.error
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "lease_until",
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_error",
        ]
    )
    logger.info(
        "webhook delivery %s (%s) attempt %s: %s",
        delivery.pk,
        delivery.event,
        delivery.attempts,
        "delivered" if outcome.delivered else outcome.error,
    )
    return delivery


def allow_embed_origin(*, origin: str) -> EmbedOrigin:
    """Let `origin` (normalized by the form) embed the comments and create stories."""
    return EmbedOrigin.objects.create(origin=origin)


def disallow_embed_origin(*, embed_origin: EmbedOrigin) -> None:
    """Stop `embed_origin` framing the embed; its stories and their comments stay."""
    embed_origin.delete()


class TooManyNewStories(Exception):
    """The site has had EMBED_NEW_STORIES_PER_HOUR stories created this hour."""


def _take_new_story(*, origin: str) -> bool:
    # Anyone may ask for /embed/stream with any URL of an allowed site, so creation is counted
    # per site and hour (in the cache, like the API's rate limit): a site publishes far fewer.
    hour = f"integrations:new-stories:{origin}:{int(time.time() // 3600)}"
    cache.add(hour, 0, timeout=7200)
    return int(cache.incr(hour)) <= int(settings.EMBED_NEW_STORIES_PER_HOUR)


def embedded_story(*, url: str, title: str) -> Article:
    """The story published at `url` on an allowed site, created on its first view.

    `title` (from the host page's metadata, checked by the caller) names it only at creation:
    later views cannot retitle a story, or any page of the site could rename it.
    """
    story = Article.objects.filter(embed_url=url).first()
    if story is not None:
        return story
    if not _take_new_story(origin=urlsplit(url).netloc):
        raise TooManyNewStories
    digest = hashlib.sha256(url.encode()).hexdigest()
    try:
        # Two first views racing: the unique embed_url lets one create, the other read it.
        with transaction.atomic():
            return Article.objects.create(
                embed_url=url,
                slug=f"{slugify(title)[:60].strip('-') or 'story'}-{digest[:10]}",
                title=title,
                body=f"This story is published at {url}",
            )
    except IntegrityError:
        return Article.objects.get(embed_url=url)


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]+")


def sign_in_with_sso(*, claims: SsoClaims, issuer: str) -> Any:
    """The reader a host site's token names, created on first use; their name and email follow
    the host's latest token."""
    identity = SsoIdentity.objects.select_related("user").filter(
        issuer=issuer, subject=claims.subject
    )
    found = identity.first()
    if found is not None:
        user = found.user
        user.email, user.first_name = claims.email, claims.name
        user.save(update_fields=["email", "first_name"])
        SsoIdentity.objects.filter(pk=found.pk).update(last_signed_in_at=timezone.now())
        return user
    User = get_user_model()
    base = _USERNAME_UNSAFE.sub("-", claims.name).strip("-")[:130] or "reader"
    suffix = hashlib.sha256(f"{issuer}:{claims.subject}".encode()).hexdigest()[:8]
    try:
        with transaction.atomic():
            # Usernames are ours and unique; the host's names are neither, hence the suffix when
            # one of ours has the name already.
            username = (
                base if not User.objects.filter(username=base).exists() else f"{base}-{suffix}"
            )
            user = User(username=username, email=claims.email, first_name=claims.name)
            user.set_unusable_password()  # they sign in through their site, never with ours
            user.save()
            SsoIdentity.objects.create(issuer=issuer, subject=claims.subject, user=user)
            return user
    except IntegrityError:
        # The same reader's first two sign-ins raced: the other one created them.
        return (
            SsoIdentity.objects.select_related("user")
            .get(issuer=issuer, subject=claims.subject)
            .user
        )
