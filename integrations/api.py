"""The REST API: stories, comments and their states, the moderation actions, an export of decisions.

django-ninja: the request and answer shapes are typed schemas, the OpenAPI document is generated
from them (served at /api/v1/openapi.json). It adds pydantic to a web process, on the first request
or reverse under /api/v1/ only (newsroom/urls.py loads this module lazily).

A key authenticates as `Authorization: Bearer <key>` (the same keys as the Perspective API,
counted against the same per-minute limit); each operation needs one scope (`Scope`). The
moderation actions call the same services as the moderators' queue, in the key owner's name.
Every error, whatever raised it, is answered in one shape, `ErrorOut`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import URLPattern, URLResolver
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security.http import HttpAuthBase

from articles.models import Article
from comments.models import Comment, CommentStatus, ModerationEvent, RejectReason
from comments.services import (
    CannotChange,
    InvalidTransition,
    approve_comment,
    feature_comment,
    reject_comment,
    restore_comment,
    unfeature_comment,
)
from integrations import services
from integrations.models import ApiKey, Scope
from moderation.services import dismiss_reports

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
EXPORT_PAGE_SIZE = 1000


# --- Errors: one shape for every one of them -------------------------------------------------


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "unauthenticated"  # 401: no key, or an unknown, malformed or revoked one
    INSUFFICIENT_SCOPE = "insufficient_scope"  # 403: the key lacks the operation's scope
    NOT_FOUND = "not_found"  # 404: no such story, comment or route
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    CONFLICT = "conflict"  # 409: the comment's state does not allow the action (any more)
    INVALID_REQUEST = "invalid_request"  # 422: parameters or body that do not validate
    RATE_LIMITED = "rate_limited"  # 429: over the key's requests per minute; see Retry-After
    INTERNAL_ERROR = "internal_error"  # 500


class ErrorDetail(Schema):
    field: str = Field(description="Where the problem is, e.g. `body.reason` or `query.page`.")
    message: str


class ErrorBody(Schema):
    code: ErrorCode
    message: str = Field(description="What went wrong, in words for a developer.")
    details: list[ErrorDetail] = Field(
        default_factory=list, description="One entry per invalid field (422 only)."
    )


class ErrorOut(Schema):
    """The body of every error this API answers, whatever its status."""

    error: ErrorBody


class ApiError(Exception):
    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class RateLimited(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            429, ErrorCode.RATE_LIMITED, f"This key is limited to {limit} requests a minute."
        )


def error_response(
    status: int, code: ErrorCode, message: str, details: list[dict[str, str]] | None = None
) -> HttpResponse:
    body = {"error": {"code": code.value, "message": message, "details": details or []}}
    return JsonResponse(body, status=status)


# The error answers each kind of operation can give, for the OpenAPI document.
AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
READ_ERRORS: dict[int, type[Schema]] = {**AUTH_ERRORS, 404: ErrorOut, 422: ErrorOut}
ACTION_ERRORS: dict[int, type[Schema]] = {
    **READ_ERRORS,
    400: ErrorOut,
    409: ErrorOut,
}  # 400: a body that is not JSON


# --- Authentication and scopes ---------------------------------------------------------------


class ApiKeyBearer(HttpAuthBase):
    """`Authorization: Bearer <key>`, the key as `create_api_key` printed it.

    Unlike ninja's HttpBearer it never logs the header: the key is a secret.
    """

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        api_key = services.authenticate_api_key(raw=token.strip())
        if api_key is None:
            return None
        if not services.take_request(api_key=api_key):
            raise RateLimited(api_key.limit_per_minute)
        return api_key


def _require(request: HttpRequest, scope: Scope) -> ApiKey:
    """The caller's key if it may use `scope` now; raise a 403 otherwise."""
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    if not api_key.grants(scope):
        held = scope in api_key.scopes
        why = "its owner may no longer moderate" if held else "it was not granted"
        raise ApiError(
            403, ErrorCode.INSUFFICIENT_SCOPE, f"This key may not use {scope.value}: {why}."
        )
    return api_key


api = NinjaAPI(
    title="Newsroom API",
    version="1",
    description=(
        "Stories, comments and their states, the moderators' actions and an export of their "
        "decisions. Authenticate with `Authorization: Bearer <key>`; each operation names the "
        "scope it needs. Every error has the body `ErrorOut`: "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
    auth=ApiKeyBearer(),
    # No interactive docs: Swagger UI loads scripts and styles from a CDN, which the site's CSP
    # refuses. The document itself is enough for any client generator or viewer.
    docs_url=None,
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    response = error_response(error.status, error.code, error.message)
    if isinstance(error, RateLimited):
        response["Retry-After"] = "60"
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    response = error_response(
        401,
        ErrorCode.UNAUTHENTICATED,
        "Send a usable key as `Authorization: Bearer <key>`.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="newsroom"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    details = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())),
            "message": str(item.get("msg", "Invalid.")),
        }
        for item in error.errors
    ]
    return error_response(422, ErrorCode.INVALID_REQUEST, "The request is not valid.", details)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(404, ErrorCode.NOT_FOUND, str(error) or "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    codes = {401: ErrorCode.UNAUTHENTICATED, 403: ErrorCode.INSUFFICIENT_SCOPE}
    code = codes.get(error.status_code, ErrorCode.INVALID_REQUEST)
    return error_response(error.status_code, code, str(error))


@api.exception_handler(Exception)
def _internal(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.exception("REST API error on %s %s", request.method, request.path)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "Something went wrong on our side.")


# --- Stories ---------------------------------------------------------------------------------


class StoryOut(Schema):
    slug: str
    title: str
    url: str = Field(description="The story's page on this site.")
    published_at: datetime
    comment_count: int = Field(description="Comments the public sees: published, not hidden.")


class StoryPage(Schema):
    items: list[StoryOut]
    page: int
    pages: int
    total: int


class PageParams(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def _story_out(request: HttpRequest, story: Article) -> dict[str, Any]:
    return {
        "slug": story.slug,
        "title": story.title,
        "url": request.build_absolute_uri(story.get_absolute_url()),
        "published_at": story.published_at,
        "comment_count": story.published_comment_count,  # type: ignore[attr-defined]
    }


def _page_of(items: Any, params: PageParams) -> tuple[list[Any], dict[str, int]]:
    paginator = Paginator(items, params.page_size)
    if params.page > paginator.num_pages:
        raise Http404(f"There is no page {params.page}; the last is {paginator.num_pages}.")
    page = paginator.page(params.page)
    return list(page.object_list), {
        "page": page.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@api.get(
    "/stories",
    response={200: StoryPage, **READ_ERRORS},
    summary="Stories, newest first, with their comment counts",
    description="Scope: `stories:read`.",
)
def list_stories(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    _require(request, Scope.STORIES_READ)
    stories, page = _page_of(
        Article.objects.live().with_comment_counts().order_by("-published_at", "-id"), params
    )
    return {"items": [_story_out(request, story) for story in stories], **page}


def _get_story(slug: str) -> Article:
    story = Article.objects.live().with_comment_counts().filter(slug=slug).first()
    if story is None:
        raise Http404(f"No story is called {slug!r}.")
    return story


@api.get(
    "/stories/{slug}",
    response={200: StoryOut, **READ_ERRORS},
    summary="One story with its comment count",
    description="Scope: `stories:read`.",
)
def get_story(request: HttpRequest, slug: str) -> dict[str, Any]:
    _require(request, Scope.STORIES_READ)
    return _story_out(request, _get_story(slug))


# --- Comments --------------------------------------------------------------------------------


class CommentOut(Schema):
    id: int
    story: str = Field(description="The story's slug.")
    author: str = Field(description="The author's username.")
    parent_id: int | None
    body: str
    status: CommentStatus
    hidden: bool = Field(description="Published but hidden by readers' reports.")
    featured: bool = Field(description="Featured by a moderator at the top of the conversation.")
    open_reports: int
    created_at: datetime
    decided_at: datetime | None
    scores: dict[str, float] = Field(description="The latest model scores, per label.")
    reason_codes: list[str] = Field(description="Why the latest automatic decision was taken.")
    model_version: int | None


class CommentPage(Schema):
    items: list[CommentOut]
    page: int
    pages: int
    total: int


class CommentFilter(PageParams):
    status: CommentStatus | None = None


def _comments() -> Any:
    return (
        Comment.objects.select_related("article", "author", "model_version")
        .defer("model_version__artifact")
        .with_report_counts()
    )


def _comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "story": comment.article.slug,
        "author": comment.author.get_username(),
        "parent_id": comment.parent_id,
        "body": comment.body,
        "status": comment.status,
        "hidden": comment.hidden_at is not None,
        "featured": comment.featured_at is not None,
        "open_reports": comment.open_report_count,
        "created_at": comment.created_at,
        "decided_at": comment.decided_at,
        "scores": comment.scores,
        "reason_codes": comment.reason_codes,
        "model_version": comment.model_version.version if comment.model_version else None,
    }


@api.get(
    "/stories/{slug}/comments",
    response={200: CommentPage, **READ_ERRORS},
    summary="A story's comments in every state, oldest first",
    description="Scope: `comments:read` (a moderator's key).",
)
def list_comments(request: HttpRequest, slug: str, params: Query[CommentFilter]) -> dict[str, Any]:
    _require(request, Scope.COMMENTS_READ)
    comments = _comments().filter(article=_get_story(slug)).order_by("created_at", "id")
    if params.status is not None:
        comments = comments.filter(status=params.status)
    page_items, page = _page_of(comments, params)
    return {"items": [_comment_out(comment) for comment in page_items], **page}


def _get_comment(pk: int) -> Comment:
    comment = _comments().filter(pk=pk).first()
    if comment is None:
        raise Http404(f"No comment has the id {pk}.")
    return comment


@api.get(
    "/comments/{comment_id}",
    response={200: CommentOut, **READ_ERRORS},
    summary="One comment with its state",
    description="Scope: `comments:read` (a moderator's key).",
)
def get_comment(request: HttpRequest, comment_id: int) -> dict[str, Any]:
    _require(request, Scope.COMMENTS_READ)
    return _comment_out(_get_comment(comment_id))


# --- Moderation actions: the queue's services, in the key owner's name -----------------------


class DecisionIn(Schema):
    expected_status: CommentStatus | None = Field(
        None,
        description="The status you saw: the action is refused (409) if it has changed since.",
    )


class RejectIn(DecisionIn):
    reason: RejectReason = Field(description="Becomes a training label for abusive and spam.")
    note: str = Field("", max_length=500)


def _decide(request: HttpRequest, comment_id: int, act: Callable[..., Any], **extra: Any) -> Any:
    api_key = _require(request, Scope.MODERATE)
    comment = _get_comment(comment_id)
    try:
        act(comment=comment, moderator=api_key.owner, **extra)
    except (InvalidTransition, CannotChange) as error:
        raise ApiError(409, ErrorCode.CONFLICT, str(error)) from None
    return _comment_out(_get_comment(comment_id))


ACTION_RESPONSES: dict[int, type[Schema]] = {200: CommentOut, **ACTION_ERRORS}
ACTION_SCOPE = "Scope: `moderate` (a moderator's key). Audited as the key's owner."


@api.post(
    "/comments/{comment_id}/approve",
    summary="Publish a held comment",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE,
)
def approve(request: HttpRequest, comment_id: int, payload: DecisionIn | None = None) -> Any:
    expected = payload.expected_status if payload else None
    return _decide(request, comment_id, approve_comment, expected_status=expected)


@api.post(
    "/comments/{comment_id}/reject",
    summary="Reject a held or published comment",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE,
)
def reject(request: HttpRequest, comment_id: int, payload: RejectIn) -> Any:
    return _decide(
        request,
        comment_id,
        reject_comment,
        reason=payload.reason,
        note=payload.note,
        expected_status=payload.expected_status,
    )


@api.post(
    "/comments/{comment_id}/restore",
    summary="Publish a rejected comment again",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE,
)
def restore(request: HttpRequest, comment_id: int, payload: DecisionIn | None = None) -> Any:
    expected = payload.expected_status if payload else None
    return _decide(request, comment_id, restore_comment, expected_status=expected)


@api.post(
    "/comments/{comment_id}/dismiss-reports",
    summary="Keep a reported comment published and dismiss its reports",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE,
)
def keep(request: HttpRequest, comment_id: int, payload: DecisionIn | None = None) -> Any:
    expected = payload.expected_status if payload else None
    return _decide(request, comment_id, dismiss_reports, expected_status=expected)


@api.post(
    "/comments/{comment_id}/feature",
    summary="Feature a published comment at the top of its story's conversation",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE + " Featuring a featured comment changes nothing.",
)
def feature(request: HttpRequest, comment_id: int) -> Any:
    return _decide(request, comment_id, feature_comment)


@api.post(
    "/comments/{comment_id}/unfeature",
    summary="Stop featuring a comment",
    response=ACTION_RESPONSES,
    description=ACTION_SCOPE,
)
def unfeature(request: HttpRequest, comment_id: int) -> Any:
    return _decide(request, comment_id, unfeature_comment)


# --- The export of decisions -----------------------------------------------------------------


class DecisionOut(Schema):
    id: int = Field(description="The event's id: pass the last one as `after` for the next page.")
    comment_id: int
    story: str
    moderator: str | None
    action: str = Field(description="approved, rejected, restored, or undone (withdraws one).")
    from_status: str
    to_status: str
    reject_reason: str
    note: str
    batch: str = Field(description="The bulk decision it was part of; empty for single ones.")
    scores: dict[str, float]
    model_version: int | None
    created_at: datetime


class DecisionPage(Schema):
    items: list[DecisionOut]
    next_after: int | None = Field(description="`after` for the next page; null on the last.")


class ExportParams(Schema):
    after: int = Field(0, ge=0, description="Only events with a greater id.")
    since: datetime | None = Field(None, description="Only events at or after this time.")
    limit: int = Field(EXPORT_PAGE_SIZE, ge=1, le=EXPORT_PAGE_SIZE)
    format: Literal["json", "csv"] = Field(
        "json", description="json: one page (keyset on `after`); csv: every event, streamed."
    )


EXPORT_FIELDS = list(DecisionOut.model_fields)


def _decisions(params: ExportParams) -> Any:
    events = (
        ModerationEvent.objects.decisions_and_undos()
        .filter(id__gt=params.after)
        .select_related("comment__article", "actor", "model_version")
        .defer("model_version__artifact", "comment__body")
        .order_by("id")
    )
    if params.since is not None:
        events = events.filter(created_at__gte=params.since)
    return events


def _decision_out(event: ModerationEvent) -> dict[str, Any]:
    assert event.comment is not None  # decisions_and_undos() is about comments only
    return {
        "id": event.pk,
        "comment_id": event.comment_id,
        "story": event.comment.article.slug,
        "moderator": event.actor.get_username() if event.actor else None,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reject_reason": event.reject_reason,
        "note": event.note,
        "batch": event.batch,
        "scores": event.scores,
        "model_version": event.model_version.version if event.model_version else None,
        "created_at": event.created_at,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    # iterator(): the export may hold every decision ever made; rows are read in chunks and
    # written as they come, never all held in memory.
    for event in events.iterator(chunk_size=EXPORT_PAGE_SIZE):
        row = _decision_out(event)
        row["created_at"] = row["created_at"].isoformat()
        row["scores"] = json.dumps(row["scores"], sort_keys=True)
        yield writer.writerow("" if row[field] is None else row[field] for field in EXPORT_FIELDS)


@api.get(
    "/decisions",
    response={200: DecisionPage, **READ_ERRORS},
    summary="Moderators' decisions and undos, oldest first (JSON pages, or one streamed CSV)",
    description=(
        "Scope: `decisions:export` (a moderator's key). With `format=csv` the answer is "
        "`text/csv`, every matching event, streamed, with the JSON item's fields as columns "
        "(`scores` as JSON)."
    ),
    openapi_extra={
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DecisionPage"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_decisions(request: HttpRequest, params: Query[ExportParams]) -> Any:
    _require(request, Scope.DECISIONS_EXPORT)
    events = _decisions(params)
    if params.format == "csv":
        response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="decisions.csv"'
        return response
    page = [_decision_out(event) for event in events[: params.limit]]
    full = len(page) == params.limit
    return {"items": page, "next_after": page[-1]["id"] if full and page else None}


# --- Routes ----------------------------------------------------------------------------------


@api.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:unknown}",
    auth=None,
    include_in_schema=False,
)
def unknown_route(request: HttpRequest, unknown: str) -> HttpResponse:
    """Any other path under the API: a 404 in the API's shape, not the site's HTML page."""
    return error_response(404, ErrorCode.NOT_FOUND, f"No operation at /{unknown}.")


def _errors_in_shape(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer ninja's bare 405 in the API's error shape too."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text"):
            allowed = response.get("Allow", "")
            response = error_response(
                405, ErrorCode.METHOD_NOT_ALLOWED, f"Use {allowed or 'another method'} here."
            )
            response["Allow"] = allowed
        return response

    for attribute in ("csrf_exempt",):
        if hasattr(view, attribute):
            setattr(wrapped, attribute, getattr(view, attribute))
    return wrapped


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns, app name and namespace, for newsroom/urls.py (loaded lazily)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _errors_in_shape(pattern.callback)
    return patterns, app_name, namespace
