from __future__ import annotations

from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="index"),
]
