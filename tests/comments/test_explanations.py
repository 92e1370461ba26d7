from __future__ import annotations

from comments.explanations import segments, terms_by_label

BODY = "you <b>idiot</b>, buy pills"
IDIOT, PILLS = BODY.index("idiot"), BODY.index("pills")
EXPLANATIONS = {
    "toxicity": [{"start": IDIOT, "end": IDIOT + 5, "weight": 3.2}],
    "spam": [
        {"start": PILLS, "end": PILLS + 5, "weight": 1.5},
        {"start": IDIOT, "end": IDIOT + 5, "weight": 0.4},
    ],
}


def test_it_splits_the_body_into_plain_and_highlighted_segments() -> None:
    pieces = segments(BODY, EXPLANATIONS)

    assert "".join(piece.text for piece in pieces) == BODY
    highlighted = [(piece.text, piece.labels) for piece in pieces if piece.labels]
    assert highlighted == [("idiot", ("spam", "toxicity")), ("pills", ("spam",))]
    assert "raises the toxic score (+3.20)" in pieces[1].title


def test_it_ignores_spans_that_do_not_fit_the_body() -> None:
    broken = {"toxicity": [{"start": 5, "end": 500, "weight": 1}, {"start": "x"}, "junk"]}

    assert segments(BODY, broken) == segments(BODY, {})
    assert [piece.text for piece in segments(BODY, {})] == [BODY]


def test_it_lists_each_labels_terms_strongest_first() -> None:
    rows = terms_by_label(BODY, EXPLANATIONS)

    assert [(row.label, row.name) for row in rows] == [("spam", "spam"), ("toxicity", "toxic")]
    assert [term.text for term in rows[0].terms] == ["pills", "idiot"]
