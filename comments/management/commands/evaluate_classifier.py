"""Score a labelled CSV with the active classifier and print its quality figures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comments.classifier import metrics
from comments.classifier.artifact import ArtifactError
from comments.classifier.data import SOURCE_BY_LABEL, TrainingDataError, read_labelled_csv
from comments.classifier.labels import LABELS
from comments.model_versions import model_from_record
from comments.models import ClassifierModel


def base_rate(value: str) -> float | str:
    if value == "none":
        return value
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0.0 < rate < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive) or 'none': {value}")
    return rate


class Command(BaseCommand):
    help = (
        "Score a CSV in a dataset's format (toxicity: Jigsaw's id, comment_text and six label "
        "columns; spam: YouTube's COMMENT_ID, CONTENT, CLASS) with the active model and print "
        "ROC-AUC, average precision, precision at 80% recall, Brier score and row count."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The CSV file to score.")
        parser.add_argument("--label", required=True, choices=LABELS)
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print one JSON object instead of lines.",
        )
        parser.add_argument(
            "--model-version",
            type=int,
            default=None,
            help="Score with this model version instead of the active one.",
        )
        parser.add_argument(
            "--base-rate",
            type=base_rate,
            default=None,
            help=(
                "Re-weight negatives so positives are this share for average precision and "
                "precision at 80%% recall (default: the label's real-world rate, 0.10 for "
                "toxicity; 'none' to use the rows as they are)."
            ),
        )

    def handle(
        self,
        *args: Any,
        path: Path,
        label: str,
        as_json: bool,
        model_version: int | None,
        base_rate: float | str | None,
        **options: Any,
    ) -> None:
        # None: the label's real-world rate; "none": no re-weighting.
        rate = SOURCE_BY_LABEL[label].base_rate if base_rate is None else base_rate
        reweight_to = None if isinstance(rate, str) else rate

        record = self.model_record(model_version)
        if label not in record.labels:
            raise CommandError(f"classifier v{record.version} has no {label!r} label")
        try:
            rows = read_labelled_csv(path, label=label)
        except TrainingDataError as error:
            raise CommandError(str(error)) from error
        try:
            model = model_from_record(record)
        except ArtifactError as error:
            raise CommandError(f"cannot load classifier v{record.version}: {error}") from error

        scores = model.score_many(rows.texts)[label]
        try:
            result = metrics.evaluate(rows.targets, scores, base_rate=reweight_to)
        except metrics.MetricsError as error:
            raise CommandError(f"{path}: {error}") from error

        if as_json:
            self.stdout.write(json.dumps(result.headline(), sort_keys=True))
            return
        weighting = f" (re-weighted to {base_rate:.0%} positives)" if base_rate is not None else ""
        self.stdout.write(f"{path}: {label} scored by classifier v{record.version}")
        self.stdout.write(
            f"  rows                        {result.n:,} ({result.positives:,} positive)"
        )
        self.stdout.write(f"  ROC-AUC                     {result.roc_auc:.4f}")
        self.stdout.write(
            f"  average precision           {result.average_precision:.4f}{weighting}"
        )
        self.stdout.write(
            f"  precision at 80% recall     {result.precision_at_recall_80:.4f}{weighting}"
        )
        self.stdout.write(f"  Brier score                 {result.brier:.4f}")
        self.stdout.write("  reliability (score bin: mean score vs share positive, rows)")
        for row in result.reliability:
            self.stdout.write(
                f"    {row.lower:.1f}-{row.upper:.1f}: {row.mean_score:.3f} vs "
                f"{row.positive_rate:.3f} ({row.count:,})"
            )

    def model_record(self, version: int | None) -> ClassifierModel:
        records = ClassifierModel.objects.all()
        record = (
            records.filter(version=version).first()
            if version is not None
            else records.active().first()
        )
        if record is None:
            raise CommandError(
                f"There is no classifier v{version}."
                if version is not None
                else "No classifier is active; train one with `python manage.py train_classifier`."
            )
        return record
