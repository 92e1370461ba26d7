from __future__ import annotations

from django.urls import path

from comments import moderation_views, views

app_name = "comments"

urlpatterns = [
    path("articles/<slug:slug>/comments/", views.post_comment, name="post"),
    path("comments/<int:pk>/", views.comment_detail, name="detail"),
    path("moderation/", moderation_views.moderation_queue, name="moderation-queue"),
    path(
        "moderation/comments/<int:pk>/<str:action>/",
        moderation_views.moderate,
        name="moderate",
    ),
]
