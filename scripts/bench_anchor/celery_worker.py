"""`celery -A bench_anchor.celery_worker worker`: Django set up first, then the app."""

import django

django.setup()

from bench_anchor.tasks import app  # noqa: E402

__all__ = ["app"]
