"""Coral's side of the wire, reproduced from its source (coralproject/talk) for the tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

# Coral's `convertLanguage` (services/perspective/perspective.ts): a tenant's locale as the
# Perspective language it sends; anything else is sent as "en".
PERSPECTIVE_LANGUAGE = {"en-US": "en", "es": "es", "fr-FR": "fr", "de": "de", "pt-BR": "pt"}


def analyze_body(*, text: str, locale: str = "en-US", model: str = "TOXICITY") -> bytes:
    """`formatBody` for "comments:analyze", serialized as Coral's `JSON.stringify(body)`.

    `doNotStore` is true: toxic.ts defaults it so when the tenant has not set it.
    """
    body = {
        "comment": {"text": text},
        "doNotStore": True,
        "requestedAttributes": {model: {}},
        "languages": [PERSPECTIVE_LANGUAGE.get(locale, "en")],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def suggest_body(
    *,
    text: str,
    comment_id: str,
    status: str,
    story_url: str = "https://news.example/story",
    tenant_url: str = "https://news.example/",
    model: str = "TOXICITY",
    locale: str = "en-US",
) -> bytes:
    """`formatBody` for "comments:suggestscore": APPROVED scores 0, DELETED (rejected) 1."""
    body = {
        "comment": {"text": text},
        "context": {
            "entries": [
                {
                    "text": json.dumps(
                        {
                            # getURLWithCommentID: the story URL with ?commentID=<id>.
                            "url": f"{story_url}?commentID={comment_id}",
                            "Coral_comment_id": comment_id,
                        },
                        separators=(",", ":"),
                    )
                }
            ]
        },
        "attributeScores": {model: {"summaryScore": {"value": 0 if status == "APPROVED" else 1}}},
        "languages": [PERSPECTIVE_LANGUAGE.get(locale, "en")],
        "communityId": f"Coral:{tenant_url}",
        "clientToken": f"comment:{comment_id}",
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def toxic_phase_reads(answer: dict[str, Any], *, model: str = "TOXICITY") -> float:
    """What toxic.ts reads back: `result.data.attributeScores[model].summaryScore.value`."""
    value = answer["attributeScores"][model]["summaryScore"]["value"]
    assert isinstance(value, float)
    return value


def moderation_request(*, body: str, parent_id: str | None = None, action: str = "NEW") -> bytes:
    """An ExternalModerationRequest (phases/external.ts) as `generateFetchOptions` sends it:
    `JSON.stringify(request, null, 2)`."""
    request = {
        "action": action,
        "comment": {"body": body, "parentID": parent_id},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {
            "id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6",
            "url": "http://localhost:1313/posts/a-story-url/",
        },
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "localhost",
    }
    return json.dumps(request, indent=2, ensure_ascii=False).encode()


def coral_signature(body: bytes, *secrets: str) -> str:
    """`generateSignatures`: "sha256=<hex HMAC-SHA256>" per active secret, joined by ","."""
    return ",".join(
        f"sha256={hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}"
        for secret in secrets
    )
