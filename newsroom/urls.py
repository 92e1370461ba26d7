from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from newsroom import views
from newsroom.lazy_urls import LazyURLResolver, Patterns


def api_patterns() -> Patterns:
    """The REST API's patterns (django-ninja), imported on first use: see newsroom/lazy_urls.py."""
    from integrations import api  # performance: ninja and pydantic, ~9 MB a web process

    patterns, app_name, namespace = api.urls()
    assert (app_name, namespace) == (API_APP_NAME, API_NAMESPACE), (app_name, namespace)
    return patterns


# ninja's app name, and the namespace it reverses its own names in (`urls_namespace`).
API_APP_NAME, API_NAMESPACE = "ninja", "api"

urlpatterns = [
    path("", include("articles.urls")),
    path("", include("comments.urls")),
    path("moderation/", include("moderation.urls")),
    path("", include("integrations.urls")),
    # The REST API (django-ninja; its own namespace "api", which ninja reverses from the root).
    LazyURLResolver("api/v1/", api_patterns, app_name=API_APP_NAME, namespace=API_NAMESPACE),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]
