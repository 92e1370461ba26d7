"""Plain factories for tests: make_* functions with explicit, readable defaults."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import skops.io as sio
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from articles.models import Article, CommentPolicy
from comments.classifier.labels import LABELS
from comments.model_versions import activate_classifier
from comments.models import ClassifierModel, Comment, CommentStatus, EventAction, ModerationEvent

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str = "alice", **fields: Any) -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    return user


def make_established_reader(username: str, *, article: Article | None = None) -> Any:
    """A reader whose reports count towards hiding: joined a year ago, one comment published."""
    from django.utils import timezone

    user = make_user(username, date_joined=timezone.now() - timedelta(days=365))
    make_comment(
        article=article or Article.objects.first() or make_article(f"{username}-story"),
        author=user,
        status=CommentStatus.PUBLISHED,
    )
    return user


def make_moderator(username: str = "mona") -> Any:
    user = make_user(username)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def make_article(
    slug: str = "launch-story", *, policy: str = CommentPolicy.OPEN, **fields: Any
) -> Article:
    fields.setdefault("title", "Launch story")
    fields.setdefault("body", "First paragraph.\n\nSecond paragraph.")
    return Article.objects.create(slug=slug, comment_policy=policy, **fields)


def make_comment(
    *,
    article: Article,
    author: Any,
    body: str = "A considered reply.",
    status: str = CommentStatus.PENDING,
    **fields: Any,
) -> Comment:
    return Comment.objects.create(
        article=article, author=author, body=body, status=status, **fields
    )


class SafeScores:
    """Stands in for the active model where a test needs a decision, not a model: every comment
    scores 0.01 on every label, with no terms to explain."""

    record_id = None
    version = 0
    thresholds: dict[str, dict[str, float]] = {}

    def score(self, text: str) -> dict[str, float]:
        return {"toxicity": 0.01, "spam": 0.01}

    def explain(self, text: str) -> dict[str, list[dict[str, float]]]:
        return {"toxicity": [], "spam": []}

    def score_and_explain(
        self, text: str
    ) -> tuple[dict[str, float], dict[str, list[dict[str, float]]]]:
        return self.score(text), self.explain(text)

    def score_batch(self, texts: list[str]) -> FakeBatch:
        return FakeBatch(self, texts)


class FakeBatch:
    """`ActiveModel.score_batch`'s answer, from a stand-in's `score` and `explain`."""

    def __init__(self, model: SafeScores, texts: list[str]) -> None:
        self._model, self._texts = model, texts
        self.scores = [model.score(text) for text in texts]

    def explain(self, i: int) -> dict[str, list[dict[str, float]]]:
        return self._model.explain(self._texts[i])


class Smuggled:
    """A type no artifact may hold."""


def make_untrusted_artifact() -> bytes:
    """skops bytes that hold a type outside the trusted list: loading them must be refused."""
    return sio.dumps({"toxicity": Smuggled()})


def make_classifier_model(
    *,
    version: int = 1,
    artifact: bytes = b"stand-in bytes: never loaded",
    active: bool = False,
    sha256: str | None = None,
    **fields: Any,
) -> ClassifierModel:
    """A stored model version; `sha256` differs from the artifact's to stand for tampering."""
    record = ClassifierModel.objects.create(
        version=version,
        labels=list(LABELS),
        artifact=artifact,
        artifact_sha256=sha256 or hashlib.sha256(artifact).hexdigest(),
        **fields,
    )
    if active:
        activate_classifier(classifier_model=record)
    return record


def publish_as_scored(comment: Comment) -> ModerationEvent:
    """Publish a pending comment the way scoring does: its status and the system's audit event."""
    from comments.audit import record_comment_event

    comment.status = CommentStatus.PUBLISHED
    comment.save(update_fields=["status"])
    return record_comment_event(
        comment=comment,
        actor=None,
        action=EventAction.SCORED,
        from_status=CommentStatus.PENDING,
        to_status=CommentStatus.PUBLISHED,
    )
