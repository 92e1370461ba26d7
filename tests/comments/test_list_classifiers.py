from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.factories import make_classifier_model

pytestmark = pytest.mark.django_db


def list_classifiers() -> str:
    out = io.StringIO()
    call_command("list_classifiers", stdout=out)
    return out.getvalue()


def test_list_classifiers_shows_every_version_with_its_figures() -> None:
    for version in (1, 2):
        make_classifier_model(
            version=version,
            active=version == 2,
            metrics={"toxicity": {"roc_auc": 0.97, "brier": 0.05}},
            thresholds={"toxicity": {"publish": 0.2, "reject": 0.9}},
            promotion_note=f"v{version} note",
        )

    listing = list_classifiers()

    assert listing.index("v2 * active") < listing.index("v1")
    assert "toxicity: ROC-AUC 0.9700 Brier 0.0500" in listing
    assert "publish < 0.2000, reject >= 0.9000" in listing
    assert "v1 note" in listing


def test_list_classifiers_says_when_there_are_none() -> None:
    assert "No classifier versions yet" in list_classifiers()
