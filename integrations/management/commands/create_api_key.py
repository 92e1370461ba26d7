"""Create a key for the Perspective-compatible API and print it once, on the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import ApiKey
from integrations.services import create_api_key


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

    def handle(self, *args: Any, name: str, rate_limit: int | None, **options: Any) -> None:
        if ApiKey.objects.filter(name=name).exists():
            raise CommandError(f"A key named {name!r} exists already.")
        if rate_limit is not None and rate_limit < 1:
            raise CommandError("--rate-limit must be at least 1.")
        api_key, raw = create_api_key(name=name, rate_limit_per_minute=rate_limit)
        self.stdout.write(
            f"Created API key {api_key.name!r} ({api_key.limit_per_minute} requests a minute). "
            "It is shown once and stored only hashed; keep it now:"
        )
        # Last, alone on its line, so that a script can take it with `tail -n 1`.
        self.stdout.write(raw)
