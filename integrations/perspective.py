"""Perspective's wire format: requests in, answers and errors out, as Perspective shapes them.

Pure (no ORM, no model): the views read a request here, score it with the cached model and answer
with the shapes built here. The formats are Perspective's own, from its reference
(github.com/conversationai/perspectiveapi, 2-api/methods.md for the requests and answers,
2-api/limits.md for the error messages) and as Coral sends and reads them
(coralproject/talk server/src/core/server/services/perspective/perspective.ts, `formatBody`;
.../services/comments/pipeline/phases/toxic.ts reads `attributeScores[model].summaryScore.value`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Perspective's attribute names for the labels we model. TOXICITY is Perspective's own; SPAM was
# one of its experimental attributes, and here it is our spam label (documented in the README).
# Every other attribute is refused as Perspective refuses a name it does not know.
ATTRIBUTES: dict[str, str] = {"TOXICITY": "toxicity", "SPAM": "spam"}
# Our model reads English only. A request naming another language is refused the way Perspective
# refuses a language an attribute does not support (limits.md, "Languages not supported").
SUPPORTED_LANGUAGES = ("en",)
# "The maximum text size per request is 20 KB" (limits.md); the error is "Comment text too long."
MAX_TEXT_BYTES = 20480
SCORE_TYPE = "PROBABILITY"  # the only score type Perspective offers (methods.md)


class PerspectiveError(Exception):
    """A refusal in Google APIs' error shape: {"error": {"code", "message", "status"}}.

    The shape and statuses are Google's; Perspective answers, for instance,
    400 {"error": {"code": 400, "message": "Attribute PROFANITY does not support request
    languages: it", "status": "INVALID_ARGUMENT"}} (quoted in atom/biohazard-alert issue 11).
    """

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message

    def as_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def invalid(message: str) -> PerspectiveError:
    return PerspectiveError(400, "INVALID_ARGUMENT", message)


# Google's answers to a missing and to a wrong key (the same for every Google API key-checked
# service); a revoked key is a wrong key.
MISSING_KEY = PerspectiveError(403, "PERMISSION_DENIED", "The request is missing a valid API key.")
INVALID_KEY = invalid("API key not valid. Please pass a valid API key.")
NO_MODEL = PerspectiveError(503, "UNAVAILABLE", "The service is currently unavailable.")


def quota_exceeded(method: str, limit: int) -> PerspectiveError:
    # Perspective's 429 reads "Quota exceeded for quota metric 'Analysis requests
    # (AnalyzeComment)' and limit 'Analysis requests (AnalyzeComment) per minute' of service
    # 'commentanalyzer.googleapis.com' ..." (mlcommons/modelgauge issue 169).
    return PerspectiveError(
        429,
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded for quota metric '{method} requests' and limit '{method} requests per "
        f"minute' ({limit}) of this API key.",
    )


@dataclass(frozen=True)
class AnalyzeRequest:
    text: str
    # Perspective's names, in the request's order, each with its scoreThreshold (None: all).
    attributes: dict[str, float | None]
    languages: list[str]
    do_not_store: bool
    client_token: str | None


@dataclass(frozen=True)
class SuggestRequest:
    text: str
    # {Perspective attribute name: suggested summary score}
    scores: dict[str, float]
    languages: list[str]
    client_token: str | None


def parse_analyze(body: bytes) -> AnalyzeRequest:
    """Read a `comments:analyze` body; raise PerspectiveError as Perspective would refuse it."""
    data = _json_object(body)
    text = _comment_text(data)
    requested = data.get("requestedAttributes")
    if not requested:
        raise invalid("Missing requested_attributes")
    if not isinstance(requested, dict):
        raise invalid("Invalid JSON payload received. 'requestedAttributes' must be an object.")
    attributes: dict[str, float | None] = {}
    for name, parameters in requested.items():
        parameters = parameters if isinstance(parameters, dict) else {}
        if name not in ATTRIBUTES:
            raise invalid(f"Unknown requested attribute: {name}")
        score_type = parameters.get("scoreType", SCORE_TYPE)
        if score_type != SCORE_TYPE:
            raise invalid(f"Requested score type {score_type} is not supported by attribute {name}")
        threshold = parameters.get("scoreThreshold")
        attributes[name] = float(threshold) if isinstance(threshold, int | float) else None
    languages = _languages(data, attributes)
    return AnalyzeRequest(
        text=text,
        attributes=attributes,
        languages=languages,
        do_not_store=data.get("doNotStore") is True,
        client_token=_client_token(data),
    )


def parse_suggest(body: bytes) -> SuggestRequest:
    """Read a `comments:suggestscore` body: the text and the whole-comment score suggested."""
    data = _json_object(body)
    text = _comment_text(data)
    suggested = data.get("attributeScores")
    if not suggested or not isinstance(suggested, dict):
        # "attribute_scores must not be empty ... An INVALID_ARGUMENT error is returned for all
        # malformed requests" (Perspective's SuggestCommentScoreRequest reference).
        raise invalid("attribute_scores must not be empty.")
    scores: dict[str, float] = {}
    for name, attribute_scores in suggested.items():
        if name not in ATTRIBUTES:
            raise invalid(f"Unknown requested attribute: {name}")
        summary = (
            attribute_scores.get("summaryScore") if isinstance(attribute_scores, dict) else None
        )
        value = summary.get("value") if isinstance(summary, dict) else None
        # Our model learns from whole texts: a suggestion of span scores alone has nothing for it.
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise invalid(f"attributeScores.{name}.summaryScore.value must be a number in [0, 1].")
        scores[name] = float(value)
    languages = _languages(data, dict.fromkeys(scores))
    return SuggestRequest(
        text=text, scores=scores, languages=languages, client_token=_client_token(data)
    )


def analyze_answer(
    request: AnalyzeRequest,
    *,
    scores: Mapping[str, float],
    spans: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, Any]:
    """The `comments:analyze` answer, from our {label: probability} and {label: spans}.

    A span's value is the logistic of its push on the label's logit: above 0.5 it pushes towards
    the label. Perspective scores spans by sentence; ours are the terms that drove the score.
    """
    attribute_scores: dict[str, Any] = {}
    for name, threshold in request.attributes.items():
        label = ATTRIBUTES[name]
        floor = threshold if threshold is not None else -math.inf
        span_scores = [
            {
                "begin": span["start"],
                "end": span["end"],
                "score": {"value": round(_logistic(span["weight"]), 4), "type": SCORE_TYPE},
            }
            # In the text's order, as Perspective lists its spans (methods.md's example).
            for span in sorted(spans.get(label, ()), key=lambda span: span["start"])
            if _logistic(span["weight"]) >= floor
        ]
        summary = scores[label]
        entry: dict[str, Any] = {"spanScores": span_scores}
        # "All attributes will return a summaryScore (unless the request specified a
        # scoreThreshold for the attribute that the summaryScore did not exceed)" (methods.md).
        if summary >= floor:
            entry["summaryScore"] = {"value": round(summary, 6), "type": SCORE_TYPE}
        attribute_scores[name] = entry
    answer: dict[str, Any] = {"attributeScores": attribute_scores, "languages": request.languages}
    if request.client_token is not None:
        answer["clientToken"] = request.client_token
    return answer


def suggest_answer(request: SuggestRequest) -> dict[str, Any]:
    """`{"clientToken": ...}`: "The response is not particularly interesting" (methods.md)."""
    return {"clientToken": request.client_token} if request.client_token is not None else {}


def _logistic(weight: float) -> float:
    return 1.0 / (1.0 + math.exp(-weight))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        # Never the body in the message: it may be a reader's words sent with doNotStore.
        raise invalid("Invalid JSON payload received. Expected a JSON object.")
    return data


def _comment_text(data: Mapping[str, Any]) -> str:
    comment = data.get("comment")
    if not isinstance(comment, dict):
        comment = {}
    text = comment.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid("Comment must be non-empty.")
    if comment.get("type", "PLAIN_TEXT") != "PLAIN_TEXT":
        raise invalid("Currently, only 'PLAIN_TEXT' comments are supported")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise invalid("Comment text too long.")
    return text


def _languages(data: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[str]:
    """The request's languages, refused unless all are English; ["en"] when none is given.

    Perspective detects the language when none is given; we do not, and take English.
    """
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(code, str) for code in languages):
        raise invalid("Invalid JSON payload received. 'languages' must be a list of strings.")
    # Both ISO and BCP-47 codes are accepted (methods.md): "en-US" is English.
    unsupported = [
        code for code in languages if code.split("-")[0].lower() not in SUPPORTED_LANGUAGES
    ]
    if unsupported:
        raise invalid(
            f"Attribute {next(iter(attributes))} does not support request languages: "
            + ", ".join(unsupported)
        )
    return languages or ["en"]


def _client_token(data: Mapping[str, Any]) -> str | None:
    token = data.get("clientToken")
    return token if isinstance(token, str) else None


def discovery_document(root_url: str) -> dict[str, Any]:
    """Our two methods as a Google API discovery document rooted at `root_url`.

    Google's client libraries build a Perspective client from the document at
    `https://commentanalyzer.googleapis.com/$discovery/rest?version=v1alpha1` (the Python sample
    in Perspective's docs does: `discovery.build("commentanalyzer", "v1alpha1",
    discoveryServiceUrl=...)`). Served at the same path here, with our address as `rootUrl`, it
    makes such a client score with us by changing only the host of that URL. It names the same
    service, resource, method ids and paths as Google's; the schemas are left open (we parse the
    bodies ourselves and answer errors in Perspective's shapes).
    """

    def method(name: str, request: str, response: str, description: str) -> dict[str, Any]:
        return {
            "id": f"commentanalyzer.comments.{name}",
            "path": f"v1alpha1/comments:{name}",
            "flatPath": f"v1alpha1/comments:{name}",
            "httpMethod": "POST",
            "description": description,
            "parameters": {},
            "parameterOrder": [],
            "request": {"$ref": request},
            "response": {"$ref": response},
        }

    schemas = (
        "AnalyzeCommentRequest",
        "AnalyzeCommentResponse",
        "SuggestCommentScoreRequest",
        "SuggestCommentScoreResponse",
    )
    return {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": "commentanalyzer:v1alpha1",
        "name": "commentanalyzer",
        "version": "v1alpha1",
        "title": "Perspective Comment Analyzer API (newsroom)",
        "protocol": "rest",
        "rootUrl": root_url,
        "servicePath": "",
        "baseUrl": root_url,
        "batchPath": "batch",
        "parameters": {
            "key": {"type": "string", "location": "query", "description": "API key."},
            "alt": {"type": "string", "location": "query", "default": "json", "enum": ["json"]},
        },
        "resources": {
            "comments": {
                "methods": {
                    "analyze": method(
                        "analyze",
                        "AnalyzeCommentRequest",
                        "AnalyzeCommentResponse",
                        "Analyzes the provided text and returns scores for requested attributes.",
                    ),
                    "suggestscore": method(
                        "suggestscore",
                        "SuggestCommentScoreRequest",
                        "SuggestCommentScoreResponse",
                        "Suggest comment scores as training data.",
                    ),
                }
            }
        },
        "schemas": {name: {"id": name, "type": "object"} for name in schemas},
    }
