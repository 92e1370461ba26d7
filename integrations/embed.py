"""The embed: a script for host pages, the comment stream it frames, and the frame's sign-on.

A host page on an allowed site holds `<div data-newsroom-story="URL">` and loads `/embed.js`,
which puts an iframe of `/embed/stream?url=…&title=…&parent=…` in the div. The stream is the
article page's own comment section (the same partial, the same views behind its forms), in a
page that only the allowed sites may frame: CSP `frame-ancestors` lists exactly them, and
X-Frame-Options, which cannot name a site, is left off this route only. The frame tells its
parent its height with postMessage, to the parent's origin only; the parent checks the
message's origin too (static/js/embed.js and embed-frame.js).

Cookies: the frame's session and CSRF cookies are third-party cookies on the host's page, which
browsers send to a cross-site frame only when they are `SameSite=None; Secure`. See
`EMBED_CROSS_SITE_COOKIES` in settings.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from comments.reading import comment_section
from integrations import services
from integrations.forms import origin_of
from integrations.models import EmbedOrigin
from integrations.sso import SsoError, verify_token
from newsroom.http import HtmxHttpRequest

MAX_STORY_URL_LENGTH = 2000
MAX_TITLE_LENGTH = 300  # Article.title


@require_GET
def embed_script(request: HtmxHttpRequest) -> HttpResponse:
    """`/embed.js`, a stable address for the static script (whose own name may carry a hash)."""
    response = HttpResponseRedirect(static("js/embed.js"))
    response["Cache-Control"] = "public, max-age=300"
    return response


def story_url(raw: str) -> str:
    """The story's address as a story key: an absolute http(s) URL without its fragment, or ""."""
    raw = raw.strip()
    if not raw or len(raw) > MAX_STORY_URL_LENGTH:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(raw)
    except ValidationError:
        return ""
    parts = urlsplit(raw)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def story_title(raw: str, *, fallback: str) -> str:
    """The host page's title as sent by the script: printable, one line, at most 300 characters."""
    # Control and format characters go (line breaks become spaces), then runs of spaces.
    printable = "".join(
        (" " if c.isspace() else "") if unicodedata.category(c)[0] == "C" else c for c in raw
    )
    title = " ".join(printable.split())[:MAX_TITLE_LENGTH].strip()
    return title or fallback[:MAX_TITLE_LENGTH]


def _refusal(request: HtmxHttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "integrations/embed_refused.html", {"message": message}, status=status)


@require_GET
@xframe_options_exempt
def stream(request: HtmxHttpRequest) -> HttpResponse:
    """A story's comment section, for an allowed site's iframe; the story is made on first view."""
    allowed = list(EmbedOrigin.objects.values_list("origin", flat=True))
    url = story_url(request.GET.get("url", ""))
    if not url:
        response = _refusal(request, "The embed names no story, or not by a full address.", 400)
    elif origin_of(url) not in allowed:
        response = _refusal(request, "This site may not embed the comments.", 403)
    else:
        parent = origin_of(request.GET.get("parent", ""))
        title = story_title(request.GET.get("title", ""), fallback=url)
        try:
            article = services.embedded_story(url=url, title=title)
        except services.TooManyNewStories:
            return _refusal(request, "Too many new stories from this site: try again later.", 429)
        context = {
            **comment_section(request, article),
            "parent_origin": parent if parent in allowed else "",
            "story_url": url,
        }
        response = render(request, "integrations/embed_stream.html", context)
    # Exactly the allowed sites may frame this page (and so the refusals too, which say why);
    # none listed leaves the site-wide 'none'.
    if allowed:
        response._csp_replace = {"frame-ancestors": allowed}  # type: ignore[attr-defined]
    return response


@require_POST
def sso_sign_in(request: HtmxHttpRequest) -> JsonResponse:
    """Exchange a host site's signed token for a session in the frame; answer why when refused.

    CSRF-protected like any form of ours: the frame posts it with the token its page carries,
    so another site cannot sign a reader in as someone else (login CSRF).
    """
    parent = origin_of(request.POST.get("parent", ""))
    if not parent or not EmbedOrigin.objects.filter(origin=parent).exists():
        return JsonResponse({"error": "This site may not embed the comments."}, status=403)
    try:
        claims = verify_token(
            request.POST.get("token", ""),
            secrets=settings.EMBED_SSO_SECRETS,
            max_lifetime=settings.EMBED_SSO_MAX_LIFETIME_SECONDS,
        )
    except SsoError as error:
        return JsonResponse({"error": str(error)}, status=403)
    # The reader is the host's: keyed by the token's issuer, or by the site that embeds us.
    user = services.sign_in_with_sso(claims=claims, issuer=claims.issuer or parent)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"username": user.get_username(), "name": user.first_name})
