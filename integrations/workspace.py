"""The workspace's integrations pages: API keys, Coral's requests and the embed's allowed sites.

Moderators' pages like those of `moderation/`, kept here because they manage what only the
integrations use. Plain forms, post-redirect-get, except creating a key: its secret is shown in
the answer to the POST, once, and never again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comments.policy import describe_reason
from integrations import services
from integrations.forms import ApiKeyForm, EmbedOriginForm
from integrations.models import ApiKey, CoralModerationRequest, EmbedOrigin
from moderation.decorators import moderator_required
from newsroom.http import HtmxHttpRequest

CORAL_REQUESTS_PER_PAGE = 50


def _keys_with_usage() -> list[dict[str, Any]]:
    rows = []
    for api_key in ApiKey.objects.all():
        usage = services.usage_of(api_key=api_key)
        last_used = (
            datetime.fromtimestamp(usage.last_used, tz=UTC) if usage.last_used is not None else None
        )
        rows.append({"key": api_key, "requests": usage.requests, "last_used": last_used})
    return rows


@require_http_methods(["GET", "POST"])
@login_required
@moderator_required
@never_cache
def api_keys(request: HtmxHttpRequest) -> HttpResponse:
    """The Perspective API's keys: each with its use; create one (shown once) here."""
    form = ApiKeyForm(request.POST or None)
    created: tuple[ApiKey, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.create_api_key(
                    name=form.cleaned_data["name"],
                    rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
                )
                form = ApiKeyForm()
            except IntegrityError:
                # Another moderator took the name since the form was checked.
                form.add_error("name", "A key of that name exists already.")
                status = 400
        else:
            status = 400
    context = {"keys": _keys_with_usage(), "form": form, "created": created}
    # never_cache: the page that shows a new key must not be kept by any cache on the way.
    return render(request, "integrations/api_keys.html", context, status=status)


@require_POST
@login_required
@moderator_required
def revoke_api_key(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=pk)
    if api_key.is_revoked:
        messages.info(request, f"{api_key.name} was revoked already.")
    else:
        services.revoke_api_key(api_key=api_key)
        messages.success(request, f"Revoked {api_key.name}: it is refused from now on.")
    return redirect("integrations:api-keys")


@require_GET
@login_required
@moderator_required
def coral_requests(request: HtmxHttpRequest) -> HttpResponse:
    """Coral's External Moderation requests and what we answered, newest first (never the text)."""
    rows = CoralModerationRequest.objects.select_related("model_version").only(
        "action",
        "story_id",
        "story_url",
        "author_id",
        "status",
        "actions",
        "reason_codes",
        "scores",
        "created_at",
        "model_version__version",
    )
    page = Paginator(rows, CORAL_REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.reasons = [describe_reason(code, scores=row.scores) for code in row.reason_codes]  # type: ignore[attr-defined]
    return render(request, "integrations/coral_requests.html", {"page": page})


@require_http_methods(["GET", "POST"])
@login_required
@moderator_required
def embed_origins(request: HtmxHttpRequest) -> HttpResponse:
    """The sites allowed to embed the comments (and so to create stories by embedding them)."""
    form = EmbedOriginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        origin = form.cleaned_data["origin"]
        try:
            services.allow_embed_origin(origin=origin)
        except IntegrityError:
            messages.info(request, f"{origin} is allowed already.")
        else:
            messages.success(request, f"{origin} may embed the comments now.")
        return redirect("integrations:embed-origins")
    status = 400 if request.method == "POST" else 200
    context = {"origins": EmbedOrigin.objects.all(), "form": form}
    return render(request, "integrations/embed_origins.html", context, status=status)


@require_POST
@login_required
@moderator_required
def remove_embed_origin(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    embed_origin = get_object_or_404(EmbedOrigin, pk=pk)
    services.disallow_embed_origin(embed_origin=embed_origin)
    messages.success(request, f"{embed_origin.origin} may no longer embed the comments.")
    return redirect("integrations:embed-origins")
