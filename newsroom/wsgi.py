"""WSGI entry point for gunicorn."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

# Open article pages poll for news: answered before Django when the cache can (comments.live).
from comments.live import answer_polls_early  # noqa: E402 (needs the app loaded)

application = answer_polls_early(django_application)
