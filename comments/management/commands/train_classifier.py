"""Train the comment classifier, store it as a new version and promote it if it is not worse."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comments.classifier.data import TrainingDataError
from comments.classifier.labels import LABELS
from comments.model_versions import train_classifier_version
from comments.models import ClassifierModel


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


class Command(BaseCommand):
    help = (
        f"Train the classifier ({', '.join(LABELS)}) on the labelled datasets plus "
        "moderators' decisions, derive its thresholds from MODERATION_TARGETS, store it as a new "
        "version, and activate it only if it is not worse than the active one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Directory holding the labelled datasets (default: settings.TRAINING_DATA_DIR).",
        )
        parser.add_argument(
            "--limit",
            type=positive_int,
            default=None,
            help="Use only the first N rows of each dataset (quick runs and tests).",
        )
        parser.add_argument(
            "--promote",
            choices=["if-not-worse", "always", "never"],
            default="if-not-worse",
            help=(
                "Activate the new version if it is not worse than the active one on the same "
                "validation data and recent moderator decisions (default), always, or never."
            ),
        )
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="Store the new version without making it the active one (--promote never).",
        )
        parser.add_argument(
            "--if-none-active",
            action="store_true",
            help="Do nothing if a model version is already active.",
        )

    def handle(
        self,
        *args: Any,
        data_dir: Path | None,
        limit: int | None,
        promote: str,
        no_activate: bool,
        if_none_active: bool,
        **options: Any,
    ) -> None:
        if if_none_active:
            active = ClassifierModel.objects.active().values_list("version", flat=True).first()
            if active is not None:
                self.stdout.write(f"Classifier v{active} is already active; nothing to do.")
                return

        data_dir = Path(data_dir or settings.TRAINING_DATA_DIR)
        if not data_dir.is_dir():
            raise CommandError(
                f"Training data directory {data_dir} does not exist "
                "(pass --data-dir or set TRAINING_DATA_DIR)."
            )

        try:
            outcome = train_classifier_version(
                data_dir=data_dir,
                limit=limit,
                promote="never" if no_activate else promote,
                progress=self.progress,
            )
        except TrainingDataError as error:
            raise CommandError(str(error)) from error

        record, verdict = outcome.record, outcome.verdict
        for reason in verdict.reasons:
            self.progress(f"  {reason}")
        outcome_words = "and activated it" if record.is_active else "(not activated)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Saved classifier v{record.version} {outcome_words}; "
                f"trained in {record.training_seconds:.1f} s."
            )
        )

    def progress(self, line: str) -> None:
        self.stdout.write(line)
        # Flushed per line so progress shows as it happens even when stdout is a pipe or a log.
        self.stdout.flush()
