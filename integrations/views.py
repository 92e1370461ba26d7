"""The endpoints other systems call: Perspective's two methods and Coral's moderation phase.

CSRF-exempt: the callers are servers authenticated by a key (Perspective) or a signature (Coral),
never a browser carrying our cookies.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations import coral, perspective, services
from integrations.models import ApiKey


def _error(error: perspective.PerspectiveError) -> JsonResponse:
    return JsonResponse(error.as_json(), status=error.code)


def _get_api_key(request: HttpRequest, method: str) -> ApiKey:
    """The caller's key, counted against its limit; raise PerspectiveError when it may not call.

    Authenticated by `?key=` as Perspective is (methods.md: "append ?key=YOUR_API_KEY").
    """
    raw = request.GET.get("key", "").strip()
    if not raw:
        raise perspective.MISSING_KEY
    api_key = services.authenticate_api_key(raw=raw)
    if api_key is None:
        raise perspective.INVALID_KEY
    if not services.take_request(api_key=api_key):
        raise perspective.quota_exceeded(method, api_key.limit_per_minute)
    return api_key


@csrf_exempt
@require_POST
@never_cache
def analyze(request: HttpRequest) -> HttpResponse:
    """`comments:analyze`: score a text with the cached model; write nothing, log nothing of it."""
    try:
        _get_api_key(request, "AnalyzeComment")
        parsed = perspective.parse_analyze(request.body)
    except perspective.PerspectiveError as error:
        return _error(error)
    # Imported here for performance, not to break a cycle: it loads scikit-learn, which a web
    # process that never serves this API should not pay for at start-up.
    from integrations import scoring

    labels = tuple(perspective.ATTRIBUTES[name] for name in parsed.attributes)
    scored = scoring.score_text(text=parsed.text, labels=labels)
    if scored is None:
        return _error(perspective.NO_MODEL)
    # doNotStore or not, this path stores nothing: the text is scored and forgotten. (Perspective
    # may keep stored texts for research; we have no use for them outside suggestscore.)
    answer = perspective.analyze_answer(parsed, scores=scored.scores, spans=scored.spans)
    return JsonResponse(answer)


@csrf_exempt
@require_POST
@never_cache
def suggest_score(request: HttpRequest) -> HttpResponse:
    """`comments:suggestscore`: keep the suggested scores as labelled examples for training."""
    try:
        api_key = _get_api_key(request, "SuggestCommentScore")
        parsed = perspective.parse_suggest(request.body)
    except perspective.PerspectiveError as error:
        return _error(error)
    services.store_suggested_scores(api_key=api_key, request=parsed)
    return JsonResponse(perspective.suggest_answer(parsed))


@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    """The discovery document of our Perspective methods, for Google's client libraries."""
    if request.GET.get("version", "v1alpha1") != "v1alpha1":
        return _error(perspective.invalid("Only version v1alpha1 is served."))
    document = perspective.discovery_document(request.build_absolute_uri("/"))
    response = JsonResponse(document)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _coral_refusal(status: int, message: str) -> JsonResponse:
    # Coral treats any answer that is not ok as "the phase did not respond" and moves on
    # (external.ts, processPhase), so the status matters to Coral only as a refusal.
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
@never_cache
def coral_moderate(request: HttpRequest) -> HttpResponse:
    """Coral's External Moderation Phase: a signed comment in, our policy's decision out."""
    body = request.body
    secrets = settings.CORAL_SIGNING_SECRETS
    if not secrets:
        return _coral_refusal(403, "No Coral signing secret is configured.")
    if not coral.signature_is_valid(
        body=body, header=request.headers.get("X-Coral-Signature", ""), secrets=secrets
    ):
        return _coral_refusal(403, "The X-Coral-Signature does not match this body.")
    # Coral's request carries no time, so a stale request is one answered before: the same
    # signed body again (its author, story and text included) is a replay.
    digest = hashlib.sha256(body).hexdigest()
    if services.is_replayed(body_sha256=digest):
        return _coral_refusal(409, "This request was answered before.")
    try:
        parsed = coral.parse_request(body)
    except coral.CoralRequestError as error:
        return _coral_refusal(400, str(error))

    from integrations import scoring  # performance, not a cycle: as in analyze() above

    decided = scoring.decide_text(text=parsed.body)
    answer: dict[str, Any] = coral.answer(decided.decision)
    try:
        services.record_coral_request(
            request=parsed,
            body_sha256=digest,
            status=answer["status"],
            actions=answer["actions"],
            reason_codes=decided.decision.reason_codes,
            scores=decided.scores,
            model_version_id=decided.model_version_id,
        )
    except services.ReplayedRequest:
        return _coral_refusal(409, "This request was answered before.")
    return JsonResponse(answer)
