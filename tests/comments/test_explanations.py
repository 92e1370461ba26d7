from __future__ import annotations

import pytest
from pytest_django import Settings

from comments.explanations import MAX_TERMS, segments, terms_by_label

BODY = "you <b>idiot</b>, buy pills"
IDIOT, PILLS = BODY.index("idiot"), BODY.index("pills")
EXPLANATIONS = {
    "toxicity": [{"start": IDIOT, "end": IDIOT + 5, "weight": 3.2}],
    "spam": [
        {"start": PILLS, "end": PILLS + 5, "weight": 1.5},
        {"start": IDIOT, "end": IDIOT + 5, "weight": 0.6},
    ],
}


def test_it_splits_the_body_into_plain_and_highlighted_segments() -> None:
    pieces = segments(BODY, EXPLANATIONS)

    assert "".join(piece.text for piece in pieces) == BODY
    highlighted = [(piece.text, piece.labels) for piece in pieces if piece.labels]
    assert highlighted == [("idiot", ("spam", "toxicity")), ("pills", ("spam",))]
    assert "raises the toxicity score (+3.20)" in pieces[1].title


def test_it_ignores_spans_that_do_not_fit_the_body() -> None:
    broken = {"toxicity": [{"start": 5, "end": 500, "weight": 1}, {"start": "x"}, "junk"]}

    assert segments(BODY, broken) == segments(BODY, {})
    assert [piece.text for piece in segments(BODY, {})] == [BODY]


def test_it_lists_each_labels_terms_strongest_first() -> None:
    rows = terms_by_label(BODY, EXPLANATIONS)

    assert [(row.label, row.name) for row in rows] == [("spam", "spam"), ("toxicity", "toxicity")]
    assert [term.text for term in rows[0].terms] == ["pills", "idiot"]


def spans_of(body: str, weights: dict[str, float]) -> dict[str, list[dict[str, float]]]:
    return {
        "toxicity": [
            {"start": body.index(word), "end": body.index(word) + len(word), "weight": weight}
            for word, weight in weights.items()
        ]
    }


def test_it_shows_only_terms_over_the_minimum_weight(settings: Settings) -> None:
    body = "Twenty years and this is how it ends, idiot."
    explanations = spans_of(body, {"years": 0.3, "idiot": 2.0, "ends": 0.5})
    settings.EXPLANATION_MIN_WEIGHT = 0.5
    assert [t.text for t in terms_by_label(body, explanations)[0].terms] == ["idiot", "ends"]
    settings.EXPLANATION_MIN_WEIGHT = 1.0
    assert [t.text for t in terms_by_label(body, explanations)[0].terms] == ["idiot"]
    settings.EXPLANATION_MIN_WEIGHT = 5.0
    assert terms_by_label(body, explanations) == []
    assert [piece.text for piece in segments(body, explanations)] == [body]


@pytest.mark.parametrize("stop_word", ["nothing", "are", "They", "NOTHING"])
def test_it_never_shows_a_stop_word(stop_word: str) -> None:
    body = f"{stop_word} but a fool"
    explanations = spans_of(body, {stop_word: 3.0, "fool": 1.0})
    assert [t.text for t in terms_by_label(body, explanations)[0].terms] == ["fool"]


def test_it_shows_at_most_five_terms_per_label() -> None:
    body = "liar cheat fool idiot moron clown thug"
    explanations = spans_of(body, {word: 1.0 + i for i, word in enumerate(body.split())})
    terms = terms_by_label(body, explanations)[0].terms
    assert MAX_TERMS == 5
    assert [t.text for t in terms] == ["thug", "clown", "moron", "idiot", "fool"]


def test_it_renders_the_segments_as_the_template_loop_did() -> None:
    from django.template import Context, Template

    from comments.explanations import segments_html

    body = "you <b>idiot</b>,\nbuy pills & more"
    spans = {
        "toxicity": [{"start": body.index("idiot"), "end": body.index("idiot") + 5, "weight": 3}],
        "spam": [{"start": body.index("pills"), "end": body.index("pills") + 5, "weight": 1.5}],
    }
    pieces = segments(body, spans)
    # The loop moderation/_comment_body.html ran before Comment.highlighted_body.
    loop = Template(
        "{% for segment in pieces %}{% if segment.labels %}"
        '<mark class="term {{ segment.css_labels }}" title="{{ segment.title }}">'
        "{{ segment.text|linebreaksbr }}</mark>{% else %}{{ segment.text|linebreaksbr }}"
        "{% endif %}{% endfor %}"
    ).render(Context({"pieces": pieces}))

    html = segments_html(pieces)

    assert html == loop
    assert "&lt;b&gt;" in html and "<br>" in html and "&amp; more" in html
    assert html.count("<mark") == 2
