"""Load the launch article and the demo accounts (idempotent: safe to run again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from articles.demo import LAUNCH_ARTICLE, parse_article_text
from articles.models import Article

# Development accounts only: the command refuses to create them when DEBUG is off.
DEMO_ACCOUNTS: list[tuple[str, str, bool]] = [
    # username, password, is a moderator
    ("moderator", "moderator-dev-pass", True),
    ("reader", "reader-dev-pass", False),
]


class Command(BaseCommand):
    help = "Load the launch article as the site's first story and create the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--article", type=Path, default=LAUNCH_ARTICLE, help="plain-text story")
        parser.add_argument("--no-accounts", action="store_true", help="load the article only")

    def handle(self, *args: Any, article: Path, no_accounts: bool, **options: Any) -> None:
        try:
            parsed = parse_article_text(article.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot load the article from {article}: {exc}") from exc
        if not no_accounts and not settings.DEBUG:
            raise CommandError(
                "refusing to create demo accounts with known passwords while DJANGO_DEBUG is off; "
                "use --no-accounts"
            )
        with transaction.atomic():
            story, created = Article.objects.update_or_create(
                slug=slugify(parsed.title)[:200],
                defaults={
                    "title": parsed.title,
                    "photo_credit": parsed.photo_credit,
                    "body": parsed.body,
                },
            )
            accounts = (
                [] if no_accounts else [_ensure_account(*account) for account in DEMO_ACCOUNTS]
            )
        verb = "Loaded" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} article: {story.title}"))
        self.stdout.write(f"  {story.get_absolute_url()} ({len(parsed.paragraphs)} paragraphs)")
        for username, password, role in accounts:
            self.stdout.write(f"  demo {role}: {username} / {password}")


def _ensure_account(username: str, password: str, moderator: bool) -> tuple[str, str, str]:
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    if moderator:
        user.groups.add(Group.objects.get(name="Moderators"))
    return username, password, "moderator" if moderator else "reader"
