"""Site-wide middleware: what every request gets, whichever app answers it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)

# Long enough for a database failover or a restart, short enough that a reader retries soon.
OUTAGE_RETRY_AFTER_SECONDS = 30


class RequestBodyLimitMiddleware:
    """Refuse a request body over REQUEST_BODY_MAX_BYTES before anything reads it.

    No endpoint takes uploads, yet Django parses a multipart body of any size, spooling its
    files to disk, for a view that ignores them. Django never reads past Content-Length, so the
    declared length is the whole body it would read; a body with no length (chunked) it would
    silently read as empty, so that is refused as well rather than misread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_BODY_MAX_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if not declared and "HTTP_TRANSFER_ENCODING" in request.META:
            return HttpResponse(
                "A request body needs a Content-Length.", status=411, content_type="text/plain"
            )
        if declared.isdigit() and int(declared) > limit:
            return HttpResponse(
                f"The request body is too large: at most {limit} bytes.",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


class DatabaseOutageMiddleware:
    """Answer 503 with Retry-After when the database cannot be reached, not a bare 500.

    Views and template rendering are where a request first touches the database (the session
    and the user load lazily), so `process_exception` sees an outage; anything later (a session
    saved on the way out) still gets the finished 500 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable: %s %s answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        if request.headers.get("HX-Request") == "true":
            # htmx swaps nothing on an error status (and HX-Reswap says so again), so the form
            # and the reader's text stay as they were; newsroom.js says what happened.
            response = HttpResponse(
                "The site is briefly unavailable.", status=503, content_type="text/plain"
            )
            response["HX-Reswap"] = "none"
        else:
            # Rendered with no request: the page needs no context processor, which could query.
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
        return response
