from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format


class CommentPolicy(models.TextChoices):
    OPEN = "open", "Open: scored, published automatically when safe"
    PREMODERATE = "premoderate", "Pre-moderate: every comment waits for a moderator"
    CLOSED = "closed", "Closed: no new comments"


class ArticleQuerySet(models.QuerySet["Article"]):
    def live(self) -> ArticleQuerySet:
        return self.filter(published_at__lte=timezone.now())

    def with_comment_counts(self) -> ArticleQuerySet:
        return self.annotate(
            published_comment_count=models.Count(
                "comments",
                filter=models.Q(comments__status="published", comments__hidden_at__isnull=True),
            )
        )


class Article(models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    photo_credit = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Plain text; a blank line separates paragraphs.")
    byline = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    comment_policy = models.CharField(
        max_length=20, choices=CommentPolicy.choices, default=CommentPolicy.OPEN
    )
    # Comments close by themselves this many days after publication; NULL keeps them open.
    close_comments_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Close comments automatically this many days after publication; "
        "empty keeps them open.",
    )
    # A story another site publishes and embeds our comments into (integrations' embed): its
    # canonical address there. Created on the embed's first view; NULL for our own stories.
    embed_url = models.URLField(max_length=2000, unique=True, null=True, blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        # The page is the comments app's: it is the story with its comment section. A route's
        # name, not an import: articles depends on nothing else in the project.
        return reverse("comments:article", kwargs={"slug": self.slug})

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]

    @property
    def comments_close_at(self) -> datetime | None:
        """When comments close by themselves, or None if they never do."""
        if self.close_comments_after_days is None:
            return None
        return self.published_at + timedelta(days=self.close_comments_after_days)

    @property
    def accepts_comments(self) -> bool:
        if self.comment_policy == CommentPolicy.CLOSED:
            return False
        close_at = self.comments_close_at
        return close_at is None or timezone.now() < close_at

    @property
    def comment_policy_name(self) -> str:
        """The policy's short name: "Open", "Pre-moderate" or "Closed"."""
        return self.get_comment_policy_display().split(":")[0]

    @property
    def closed_message(self) -> str:
        """Why comments are closed, for readers (only meaningful when they are)."""
        close_at = self.comments_close_at
        if self.comment_policy != CommentPolicy.CLOSED and close_at is not None:
            when = date_format(timezone.localtime(close_at), "j F Y")
            return f"Comments on this article closed on {when}."
        return "Comments are closed on this article."

    @property
    def is_premoderated(self) -> bool:
        return self.comment_policy == CommentPolicy.PREMODERATE
