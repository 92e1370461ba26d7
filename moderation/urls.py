from __future__ import annotations

from django.urls import path

from moderation.views import appeals, authors, conversation, oversight, queue, rules

app_name = "moderation"

urlpatterns = [
    path("", queue.moderation_queue, name="queue"),
    path("changes/", queue.changes, name="changes"),
    path("bulk/", queue.bulk, name="bulk"),
    path("bulk/undo/", queue.bulk_undo, name="bulk-undo"),
    # Before the catch-all decision route below, which would otherwise take "undo" as a decision.
    path("comments/<int:pk>/undo/", queue.undo, name="undo"),
    path("comments/<int:pk>/feature/", conversation.feature, name="feature"),
    path("comments/<int:pk>/<str:action>/", queue.decide, name="decide"),
    # Authors (the drawer): the record and history, and the actions on an author.
    path("authors/<int:pk>/", authors.author_detail, name="author"),
    path("authors/<int:pk>/note/", authors.add_note, name="author-note"),
    path("authors/<int:pk>/suspend/", authors.suspend, name="author-suspend"),
    path("authors/<int:pk>/ban/", authors.ban, name="author-ban"),
    path("authors/<int:pk>/premoderate/", authors.premoderate, name="author-premoderate"),
    path("authors/<int:pk>/reinstate/", authors.reinstate, name="author-reinstate"),
    # Rules: word lists and per-article comment settings.
    path("rules/", rules.rules, name="rules"),
    path("rules/add/", rules.add_rule, name="rule-add"),
    path("rules/<int:pk>/remove/", rules.remove_rule, name="rule-remove"),
    path("articles/<slug:slug>/settings/", rules.article_settings, name="article-settings"),
    # Appeals (issue 12).
    path("appeals/", appeals.appeals, name="appeals"),
    path("appeals/<int:pk>/<str:outcome>/", appeals.decide, name="appeal-decide"),
    # Oversight.
    path("audit/", oversight.audit_log, name="audit"),
    path("dashboard/", oversight.dashboard, name="dashboard"),
]
