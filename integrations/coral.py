"""Coral's External Moderation Phase: its signed request in, our policy's answer out.

Pure (no ORM, no model). The formats are Coral's, from coralproject/talk:
- the request: `ExternalModerationRequest` in server/src/core/server/services/comments/pipeline/
  phases/external.ts (also docs/docs/external-moderation-phases.md);
- the signature: `generateFetchOptions` (server/src/core/server/services/fetch/fetch.ts) sends
  the body as `JSON.stringify(request, null, 2)` with `X-Coral-Signature`, which
  `generateSignatures` (server/src/core/server/models/settings/signingSecret/helpers.ts) makes as
  "sha256=<hex HMAC-SHA256 of the body with one secret>", one per active secret, joined by ",";
- the answer: `ExternalModerationResponseSchema` in external.ts: optional `status` (a
  GQLCOMMENT_STATUS), `actions` of {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC" |
  "COMMENT_DETECTED_SPAM"}, and `tags` ("FEATURED" | "STAFF").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from comments import policy

# Our decision as Coral's status. Published is NONE (visible, not marked approved by anyone);
# held is SYSTEM_WITHHELD, the status Coral's own toxic phase gives what it doubts.
STATUS_FOR_DECISION = {
    policy.PUBLISH: "NONE",
    policy.HOLD: "SYSTEM_WITHHELD",
    policy.REJECT: "REJECTED",
}
FLAG_FOR_LABEL = {"toxicity": "COMMENT_DETECTED_TOXIC", "spam": "COMMENT_DETECTED_SPAM"}
ACTIONS = ("NEW", "EDIT")


class CoralRequestError(ValueError):
    """The body is not an External Moderation Request; the message is safe to answer."""


@dataclass(frozen=True)
class CoralRequest:
    action: str
    body: str
    parent_id: str
    author_id: str
    story_id: str
    story_url: str
    tenant_id: str


def signature_is_valid(*, body: bytes, header: str, secrets: Iterable[str]) -> bool:
    """Whether one of the header's "sha256=" signatures is the body's HMAC with one secret.

    Coral signs with every still-active secret while one is being rolled over, so any match of
    any signature with any of ours is enough. Compared in constant time.
    """
    offered = [
        value.strip()
        for prefix, _, value in (part.strip().partition("=") for part in header.split(","))
        if prefix == "sha256" and value.strip()
    ]
    expected = [hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() for secret in secrets]
    return any(hmac.compare_digest(o, e) for o in offered for e in expected)


def parse_request(body: bytes) -> CoralRequest:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise CoralRequestError("The body is not JSON.") from error
    if not isinstance(data, dict) or data.get("action") not in ACTIONS:
        raise CoralRequestError("Not an External Moderation Request: no NEW or EDIT action.")
    comment, author, story = (_object(data, key) for key in ("comment", "author", "story"))
    text = comment.get("body")
    if not isinstance(text, str):
        raise CoralRequestError("comment.body must be a string.")
    return CoralRequest(
        action=data["action"],
        body=text,
        parent_id=_string(comment.get("parentID")),
        author_id=_string(author.get("id")),
        story_id=_string(story.get("id")),
        story_url=_string(story.get("url")),
        tenant_id=_string(data.get("tenantID")),
    )


def answer(decision: policy.Decision) -> dict[str, Any]:
    """Coral's External Moderation Response for one of our policy's decisions.

    A label flags the comment when it is over its publish threshold (held as uncertain or
    rejected), so that Coral shows why. No rule of ours gives Coral tags (FEATURED, STAFF): they
    stay empty.
    """
    flagged = [
        label
        for label in FLAG_FOR_LABEL
        if f"{label}_uncertain" in decision.reason_codes
        or f"{label}_over_reject" in decision.reason_codes
    ]
    return {
        "status": STATUS_FOR_DECISION[decision.status],
        "actions": [{"actionType": "FLAG", "reason": FLAG_FOR_LABEL[label]} for label in flagged],
        "tags": [],
    }


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise CoralRequestError(f"{key} must be an object.")
    return value


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
