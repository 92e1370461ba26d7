"""Keys, rate limits, suggested labels and Coral's request log: the integrations' writes.

None of this imports the model: scoring is `integrations.scoring`'s, loaded only when a request
needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article
from comments.models import ExternalLabel
from integrations.coral import CoralRequest
from integrations.models import (
    ApiKey,
    CoralModerationRequest,
    EmbedOrigin,
    SsoIdentity,
    hash_key,
    new_raw_key,
)
from integrations.perspective import ATTRIBUTES, SuggestRequest
from integrations.sso import SsoClaims


def create_api_key(*, name: str, rate_limit_per_minute: int | None = None) -> tuple[ApiKey, str]:
    """Create a key; return it with its raw secret, which is stored only hashed."""
    raw, prefix = new_raw_key()
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw),
        rate_limit_per_minute=rate_limit_per_minute,
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
