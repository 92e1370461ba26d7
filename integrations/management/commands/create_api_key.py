"""Create a key for the Perspective-compatible API (and, with scopes, the REST API); print it once,
on the last line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import ApiKey, Scope
from integrations.services import InvalidScopes, create_api_key


class Command(BaseCommand):
    help = "Create an API key for the Perspective-compatible API; print it once, on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who the key is for, e.g. 'coral'")
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=None,
            help="requests per minute (default: INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE)",
        )
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            choices=Scope.values,
            help="a REST API scope to grant (repeat for several)",
        )
        parser.add_argument(
            "--owner",
            default=None,
            help="the moderator (username) the key acts as: needed for every scope but "
            "stories:read",
        )

    def handle(
        self,
        *args: Any,
        name: str,
        rate_limit: int | None,
        scopes: list[str],
        owner: str | None,
        **options: Any,
    ) -> None:
        if ApiKey.objects.filter(name=name).exists():
            raise CommandError(f"A key named {name!r} exists already.")
        if rate_limit is not None and rate_limit < 1:
            raise CommandError("--rate-limit must be at least 1.")
        user = None
        if owner is not None:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No user is named {owner!r}.")
        try:
            api_key, raw = create_api_key(
                name=name, rate_limit_per_minute=rate_limit, scopes=scopes, owner=user
            )
        except InvalidScopes as error:
            raise CommandError(str(error)) from None
        granted = f"; scopes: {', '.join(api_key.scopes)}" if api_key.scopes else ""
        self.stdout.write(
            f"Created API key {api_key.name!r} ({api_key.limit_per_minute} requests a minute"
            f"{granted}). It is shown once and stored only hashed; keep it now:"
        )
        # Last, alone on its line, so that a script can take it with `tail -n 1`.
        self.stdout.write(raw)
