from __future__ import annotations

from django.urls import path

from comments import live_views, views

app_name = "comments"

urlpatterns = [
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/comments/", views.post_comment, name="post"),
    path("comments/<int:pk>/", views.comment_detail, name="detail"),
    path("comments/<int:pk>/report/", views.report, name="report"),
    path("comments/<int:pk>/reply/", views.reply, name="reply"),
    path("comments/<int:pk>/replies/", views.replies, name="replies"),
    path("comments/<int:pk>/react/", views.react, name="react"),
    path("comments/<int:pk>/edit/", views.edit, name="edit"),
    path("comments/<int:pk>/delete/", views.delete, name="delete"),
    path("live/articles/<int:article_id>/", live_views.live_comments, name="live"),
]
