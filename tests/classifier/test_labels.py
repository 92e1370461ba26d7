from __future__ import annotations

from comments.classifier.data import LABELS as TRAINED_LABELS
from comments.classifier.data import SOURCES
from comments.classifier.labels import LABELS


def test_the_light_label_list_names_the_labels_training_reads_in_their_order() -> None:
    # labels.py spells the list out so that it imports nothing; data.SOURCES is what training
    # reads. A label added to one must be added to the other.
    assert tuple(source.label for source in SOURCES) == LABELS == TRAINED_LABELS


def test_its_stop_words_are_scikit_learns() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from comments.classifier.stop_words import STOP_WORDS

    assert STOP_WORDS == ENGLISH_STOP_WORDS
