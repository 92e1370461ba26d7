"""The classifier's explanations, shaped for a moderator: highlighted body and terms per label.

Pure functions over a comment's stored `body` and `explanations`; the template only loops and
escapes. Spans come from the model (see comments/classifier/explain.py) and were computed on
this exact body; anything that does not fit it (an edited body) is ignored, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from comments.classifier.stop_words import is_stop_word
from comments.policy import LABEL_NAMES


@dataclass(frozen=True)
class Segment:
    """A piece of the body; `labels` non-empty when the model's terms cover it."""

    text: str
    labels: tuple[str, ...] = ()
    title: str = ""

    @property
    def css_labels(self) -> str:
        return " ".join(f"term--{label}" for label in self.labels)


@dataclass(frozen=True)
class Term:
    text: str
    weight: float


@dataclass(frozen=True)
class LabelTerms:
    label: str
    name: str
    terms: tuple[Term, ...]


# At most this many terms per label: the strongest reasons, not a word cloud.
MAX_TERMS = 5


def _valid_spans(
    body: str, explanations: Mapping[str, Any]
) -> dict[str, list[tuple[int, int, float]]]:
    """Each label's spans that fit the body and are worth showing: a push of at least
    EXPLANATION_MIN_WEIGHT, no stop-word, the strongest MAX_TERMS."""
    minimum = settings.EXPLANATION_MIN_WEIGHT
    valid: dict[str, list[tuple[int, int, float]]] = {}
    for label, spans in (explanations or {}).items():
        kept = []
        for span in spans if isinstance(spans, list) else []:
            try:
                start, end, weight = int(span["start"]), int(span["end"]), float(span["weight"])
            except (KeyError, TypeError, ValueError):
                continue
            fits = 0 <= start < end <= len(body)
            if fits and weight >= minimum and not is_stop_word(body[start:end]):
                kept.append((start, end, weight))
        if kept:
            valid[label] = sorted(kept, key=lambda span: -span[2])[:MAX_TERMS]
    return valid


def segments(body: str, explanations: Mapping[str, Any]) -> list[Segment]:
    """Split `body` into plain and highlighted segments, in order."""
    covering: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for label, spans in _valid_spans(body, explanations).items():
        for start, end, weight in spans:
            covering.setdefault((start, end), []).append((label, weight))

    pieces: list[Segment] = []
    position = 0
    for (start, end), labels in sorted(covering.items()):
        if start < position:
            continue  # overlaps a span already shown; words from one tokenizer never do
        if start > position:
            pieces.append(Segment(body[position:start]))
        title = "; ".join(
            f"raises the {LABEL_NAMES.get(label, label)} score (+{weight:.2f})"
            for label, weight in sorted(labels)
        )
        pieces.append(Segment(body[start:end], tuple(sorted(label for label, _ in labels)), title))
        position = end
    if position < len(body):
        pieces.append(Segment(body[position:]))
    return pieces


def segments_html(pieces: list[Segment]) -> SafeString:
    """The body with its highlighted terms as HTML, every piece escaped by linebreaksbr.

    Performance: one pass in Python rather than a template loop with a filter per segment,
    for each card of the moderation queue (issue 15).
    """
    html = []
    for piece in pieces:
        text = linebreaksbr(piece.text, autoescape=True)
        if piece.labels:
            text = format_html(
                '<mark class="term {}" title="{}">{}</mark>', piece.css_labels, piece.title, text
            )
        html.append(text)
    return mark_safe("".join(html))  # noqa: S308 (each piece is escaped above)


def terms_by_label(body: str, explanations: Mapping[str, Any]) -> list[LabelTerms]:
    """Each label's terms, strongest first, for the list beside the scores."""
    return [
        LabelTerms(
            label=label,
            name=LABEL_NAMES.get(label, label),
            terms=tuple(
                Term(body[start:end], weight)
                for start, end, weight in sorted(spans, key=lambda span: -span[2])
            ),
        )
        for label, spans in sorted(_valid_spans(body, explanations).items())
    ]
