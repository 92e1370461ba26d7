from __future__ import annotations

import io

import pytest
import skops.io as sio
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from sklearn.ensemble import RandomForestClassifier

from comments import model_versions
from comments.models import ClassifierModel, EventAction, ModerationEvent
from tests.factories import make_classifier_model

pytestmark = pytest.mark.django_db


def store(version: int, artifact: bytes, *, active: bool = False) -> ClassifierModel:
    return make_classifier_model(
        version=version,
        artifact=artifact,
        active=active,
        metrics={"toxicity": {"roc_auc": 0.97, "brier": 0.05}},
        thresholds={"toxicity": {"publish": 0.2, "reject": 0.9}},
        promotion_note=f"v{version} note",
    )


def activate(*args: str) -> str:
    out = io.StringIO()
    call_command("activate_classifier", *args, stdout=out)
    return out.getvalue()


def test_it_rolls_back_to_an_earlier_version_and_workers_follow(artifact: bytes) -> None:
    store(1, artifact)
    store(2, artifact, active=True)
    assert model_versions.get_active_model().version == 2  # type: ignore[union-attr]

    output = activate("1", "--note", "v2 holds too much")

    assert "Classifier v1 is now active." in output
    assert ClassifierModel.objects.active().get().version == 1
    # The next comment a worker scores uses v1, without a restart.
    assert model_versions.get_active_model().version == 1  # type: ignore[union-attr]
    event = ModerationEvent.objects.filter(action=EventAction.CLASSIFIER_ACTIVATED).last()
    assert event is not None and event.note == "v2 holds too much"
    assert event.model_version.version == 1  # type: ignore[union-attr]


def test_it_refuses_an_untrusted_version_and_keeps_the_active_one(artifact: bytes) -> None:
    store(1, sio.dumps(RandomForestClassifier()))
    store(2, artifact, active=True)

    with pytest.raises(CommandError, match="v1 cannot be loaded: artifact holds untrusted"):
        activate("1")

    assert ClassifierModel.objects.active().get().version == 2


def test_it_names_the_versions_there_are(artifact: bytes) -> None:
    store(1, artifact, active=True)

    with pytest.raises(CommandError, match=r"There is no classifier v9 \(stored: v1\)"):
        activate("9")


def test_it_says_when_the_version_is_already_active(artifact: bytes) -> None:
    store(1, artifact, active=True)

    assert "already active" in activate("1")


def test_an_admin_can_roll_back_from_the_admin(
    admin_client: Client, admin_user: User, artifact: bytes
) -> None:
    first = store(1, artifact)
    store(2, artifact, active=True)

    response = admin_client.post(
        "/admin/comments/classifiermodel/",
        {"action": "activate_selected", "_selected_action": [first.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert ClassifierModel.objects.active().get().version == 1
    assert "V1 is now active; workers follow" in response.content.decode()
    event = ModerationEvent.objects.filter(action=EventAction.CLASSIFIER_ACTIVATED).last()
    assert event is not None and event.actor == admin_user
