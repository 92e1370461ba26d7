"""Artifacts load only the exact list of trusted types."""

from __future__ import annotations

import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestClassifier

from comments.classifier.artifact import ArtifactError, UntrustedArtifact, deserialize
from tests.factories import make_untrusted_artifact


def test_it_refuses_an_artifact_holding_an_untrusted_class() -> None:
    with pytest.raises(UntrustedArtifact) as refused:
        deserialize(make_untrusted_artifact())

    assert refused.value.types == ["tests.factories.Smuggled"]


def test_it_refuses_scikit_learn_types_outside_the_trusted_list() -> None:
    # skops itself trusts every scikit-learn estimator; our list is narrower on purpose.
    data = sio.dumps({"toxicity": RandomForestClassifier(n_estimators=1)})
    assert sio.get_untrusted_types(data=data) == []

    with pytest.raises(UntrustedArtifact, match=r"sklearn\.ensemble\._forest\.RandomForest"):
        deserialize(data)


def test_it_refuses_bytes_that_are_not_a_skops_artifact() -> None:
    with pytest.raises(ArtifactError, match="not a skops artifact"):
        deserialize(b"not a zip file")
