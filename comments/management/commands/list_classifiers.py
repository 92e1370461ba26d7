"""List every stored classifier version with its metrics, thresholds and promotion note."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from comments.models import ClassifierModel


class Command(BaseCommand):
    help = "List every classifier version: when, how good, its thresholds, and whether active."

    def handle(self, *args: Any, **options: Any) -> None:
        versions = ClassifierModel.objects.defer("artifact").order_by("-version")
        if not versions:
            self.stdout.write(
                "No classifier versions yet; train one with `manage.py train_classifier`."
            )
            return
        for record in versions:
            marker = "* active" if record.is_active else ""
            self.stdout.write(
                self.style.SUCCESS(f"v{record.version} {marker}".rstrip())
                + f"  trained {record.created_at:%Y-%m-%d %H:%M} UTC"
                + f" in {record.training_seconds:.0f} s"
            )
            for label in record.labels:
                self.stdout.write("  " + describe_label(record, label))
            if record.workload:
                workload = record.workload
                self.stdout.write(
                    f"  workload: {workload['published']:.1%} published, {workload['held']:.1%} "
                    f"held, {workload['rejected']:.1%} rejected automatically"
                )
            if record.promotion_note:
                self.stdout.write(f"  {record.promotion_note}")


def describe_label(record: ClassifierModel, label: str) -> str:
    figures = record.metrics.get(label, {})
    parts = [f"{label}:"]
    for key, name in (
        ("roc_auc", "ROC-AUC"),
        ("average_precision", "AP"),
        ("precision_at_recall_80", "P@R80"),
        ("brier", "Brier"),
    ):
        if key in figures:
            parts.append(f"{name} {figures[key]:.4f}")
    if "n_validation" in figures:
        parts.append(f"({figures['n_validation']:,} rows)")
    thresholds = record.thresholds.get(label)
    if thresholds:
        parts.append(f"publish < {thresholds['publish']:.4f}, reject >= {thresholds['reject']:.4f}")
    return " ".join(parts)
