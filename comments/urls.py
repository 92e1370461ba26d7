from __future__ import annotations

from django.urls import path

from comments import (
    author_views,
    moderation_views,
    oversight_views,
    report_views,
    rule_views,
    views,
)

app_name = "comments"

urlpatterns = [
    path("articles/<slug:slug>/comments/", views.post_comment, name="post"),
    path("comments/<int:pk>/", views.comment_detail, name="detail"),
    path("comments/<int:pk>/report/", report_views.report, name="report"),
    path("moderation/", moderation_views.moderation_queue, name="moderation-queue"),
    path("moderation/changes/", moderation_views.changes, name="moderation-changes"),
    path("moderation/bulk/", moderation_views.bulk, name="moderation-bulk"),
    path("moderation/bulk/undo/", moderation_views.bulk_undo, name="moderation-bulk-undo"),
    # Before the catch-all action route below, which would otherwise take "undo" as an action.
    path(
        "moderation/comments/<int:pk>/undo/",
        moderation_views.undo,
        name="moderation-undo",
    ),
    path(
        "moderation/comments/<int:pk>/<str:action>/",
        moderation_views.moderate,
        name="moderate",
    ),
    # Authors (the drawer): the record and history, and the actions on an author.
    path("moderation/authors/<int:pk>/", author_views.author_detail, name="moderation-author"),
    path(
        "moderation/authors/<int:pk>/note/",
        author_views.add_note,
        name="moderation-author-note",
    ),
    path(
        "moderation/authors/<int:pk>/suspend/",
        author_views.suspend,
        name="moderation-author-suspend",
    ),
    path("moderation/authors/<int:pk>/ban/", author_views.ban, name="moderation-author-ban"),
    path(
        "moderation/authors/<int:pk>/premoderate/",
        author_views.premoderate,
        name="moderation-author-premoderate",
    ),
    path(
        "moderation/authors/<int:pk>/reinstate/",
        author_views.reinstate,
        name="moderation-author-reinstate",
    ),
    # Rules: word lists and per-article comment settings.
    path("moderation/rules/", rule_views.rules, name="moderation-rules"),
    path("moderation/rules/add/", rule_views.add_rule, name="moderation-rule-add"),
    path(
        "moderation/rules/<int:pk>/remove/",
        rule_views.remove_rule,
        name="moderation-rule-remove",
    ),
    path(
        "moderation/articles/<slug:slug>/settings/",
        rule_views.article_settings,
        name="moderation-article-settings",
    ),
    # Oversight.
    path("moderation/audit/", oversight_views.audit_log, name="moderation-audit"),
    path("moderation/dashboard/", oversight_views.dashboard, name="moderation-dashboard"),
]
