"""WSGI entry point for gunicorn."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

# Open article pages poll for news, and signed-out readers' pages are the same for all of them:
# both answered before Django when the cache can (comments.live, comments.page_cache).
from comments.live import answer_polls_early  # noqa: E402 (needs the app loaded)
from comments.page_cache import answer_pages_early  # noqa: E402

application = answer_polls_early(answer_pages_early(django_application))
