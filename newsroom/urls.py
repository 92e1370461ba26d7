from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from integrations import api
from newsroom import views

urlpatterns = [
    path("", include("articles.urls")),
    path("", include("comments.urls")),
    path("moderation/", include("moderation.urls")),
    path("", include("integrations.urls")),
    # The REST API (django-ninja; its own namespace "api", which ninja reverses from the root).
    path("api/v1/", api.urls()),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]
