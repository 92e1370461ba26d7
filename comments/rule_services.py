"""Moderators' changes to the workspace's rules: word lists and per-article settings.

Keyword-only, atomic functions, as in comments/services.py; each writes a RULE_CHANGED audit
event saying what changed in words.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from articles.models import Article
from comments.models import EventAction, ModerationEvent, WordRule, WordRuleKind


def add_word_rule(*, phrase: str, kind: str, moderator: Any) -> WordRule:
    """Add a banned or suspect phrase; it applies to comments scored from now on."""
    with transaction.atomic():
        rule = WordRule.objects.create(phrase=phrase, kind=kind, created_by=moderator)
        _audit(moderator, f"Added {_kind_name(kind)} word “{phrase}”.")
    return rule


def remove_word_rule(*, rule: WordRule, moderator: Any) -> None:
    with transaction.atomic():
        rule.delete()
        _audit(moderator, f"Removed {_kind_name(rule.kind)} word “{rule.phrase}”.")


def update_article_settings(
    *,
    article: Article,
    moderator: Any,
    comment_policy: str,
    close_comments_after_days: int | None,
) -> Article:
    """Change how an article takes comments; enforced on the next post."""
    with transaction.atomic():
        article.comment_policy = comment_policy
        article.close_comments_after_days = close_comments_after_days
        article.save(update_fields=["comment_policy", "close_comments_after_days"])
        closes = (
            f"closes {close_comments_after_days} days after publication"
            if close_comments_after_days is not None
            else "never closes automatically"
        )
        _audit(
            moderator,
            f"“{article.title}”: {article.get_comment_policy_display()}; {closes}.",
        )
    return article


def _kind_name(kind: str) -> str:
    return "banned" if kind == WordRuleKind.BANNED else "suspect"


def _audit(moderator: Any, note: str) -> None:
    ModerationEvent.objects.create(
        actor=moderator, action=EventAction.RULE_CHANGED, note=note[:500]
    )
