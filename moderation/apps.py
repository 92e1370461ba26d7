from __future__ import annotations

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """The moderators' workspace: pages and actions over the comments app's models, none its own."""

    name = "moderation"
