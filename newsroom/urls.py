from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from newsroom import views

urlpatterns = [
    path("", include("articles.urls")),
    path("", include("comments.urls")),
    path("moderation/", include("moderation.urls")),
    path("", include("integrations.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]
