from __future__ import annotations

from django.urls import path

from comments import live_views, views

app_name = "comments"

urlpatterns = [
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/comments/", views.post_comment, name="post"),
    path("comments/<int:pk>/", views.comment_detail, name="detail"),
    path("comments/<int:pk>/report/", views.report, name="report"),
    path("live/articles/<int:article_id>/", live_views.live_comments, name="live"),
]
