"""Make a stored classifier version the active one: a rollback, or a promotion by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comments.classifier.artifact import ArtifactError
from comments.model_versions import activate_stored_version
from comments.models import ClassifierModel


class Command(BaseCommand):
    help = (
        "Make classifier VERSION the active one (workers follow on their next comment). "
        "The artifact is loaded first: a version that cannot be loaded is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="The version to activate (list_classifiers).")
        parser.add_argument("--note", default="", help="Why, for the audit log.")

    def handle(self, *args: Any, version: int, note: str, **options: Any) -> None:
        record = ClassifierModel.objects.filter(version=version).first()
        if record is None:
            known = ", ".join(
                f"v{number}" for number in ClassifierModel.objects.values_list("version", flat=True)
            )
            raise CommandError(f"There is no classifier v{version} (stored: {known or 'none'}).")
        if record.is_active:
            self.stdout.write(f"Classifier v{version} is already active.")
            return
        try:
            activate_stored_version(
                classifier_model=record,
                note=note
                or f"Classifier v{version} activated by hand (manage.py activate_classifier).",
            )
        except ArtifactError as error:
            raise CommandError(f"Classifier v{version} cannot be loaded: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Classifier v{version} is now active."))
