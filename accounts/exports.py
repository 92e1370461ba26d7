"""Download my data: everything the site keeps about a reader, as one JSON document."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps

from accounts.models import Notification, NotificationPreference
from comments.models import Appeal, Comment, Report


def export_account(user: Any) -> dict[str, Any]:
    """The reader's account, comments, reactions (where the site has them), reports, appeals,
    notifications and settings: theirs only, nothing about other readers beyond ids."""
    comments = Comment.objects.by_author(user).select_related("article").order_by("created_at")
    data: dict[str, Any] = {
        "account": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.first_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user)
            ],
        },
        "comments": [
            {
                "id": c.pk,
                "article": c.article.slug,
                "parent_id": c.parent_id,
                "body": c.body,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "why": c.reasons_for_author,
            }
            for c in comments
        ],
        "reports": [
            {
                "comment_id": r.comment_id,
                "reason": r.reason,
                "note": r.note,
                "created_at": r.created_at.isoformat(),
            }
            for r in Report.objects.filter(reporter=user).order_by("created_at")
        ],
        "appeals": [
            {
                "comment_id": a.comment_id,
                "note": a.note,
                "status": a.status,
                "created_at": a.created_at.isoformat(),
            }
            for a in Appeal.objects.filter(author=user).order_by("created_at")
        ],
        "notifications": [
            {
                "kind": n.kind,
                "text": n.text,
                "comment_id": n.comment_id,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in Notification.objects.for_user(user).order_by("created_at")
        ],
        "notification_settings": dict(
            NotificationPreference.objects.filter(user=user).values_list("kind", "frequency")
        ),
    }
    # Reactions come with the conversation work (issue 11); exported wherever the model exists.
    models = {m.__name__: m for m in apps.get_app_config("comments").get_models()}
    reaction: Any = models.get("Reaction")
    if reaction is not None:
        data["reactions"] = [
            {"comment_id": comment_id, "created_at": at.isoformat()}
            for comment_id, at in reaction.objects.filter(reader=user).values_list(
                "comment_id", "created_at"
            )
        ]
    return data
