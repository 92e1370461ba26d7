"""Keys, rate limits, suggested labels and Coral's request log: the integrations' writes.

None of this imports the model: scoring is `integrations.scoring`'s, loaded only when a request
needs it.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from comments.models import ExternalLabel
from integrations.coral import CoralRequest
from integrations.models import (
    MODERATOR_SCOPES,
    ApiKey,
    CoralModerationRequest,
    Scope,
    hash_key,
    new_raw_key,
)
from integrations.perspective import ATTRIBUTES, SuggestRequest


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
