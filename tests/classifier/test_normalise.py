"""The one normalisation of comment text that word rules and the model's second view share."""

from __future__ import annotations

import unicodedata

import pytest

from comments.classifier.normalise import confusable_map, normalise, normalise_with_origins

FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "idiot")
BOLD = "".join(chr(0x1D41A + ord(c) - ord("a")) for c in "idiot")  # MATHEMATICAL BOLD SMALL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("They should all be WIPED-OUT.", "they should all be wipedout."),
        ("i d i o t", "idiot"),
        ("i.d.i.o.t", "idiot"),
        ("1d10t!", "idiot!"),
        ("sh!t", "shit"),
        ("@ss", "ass"),
        ("\u13b3\u0456\u0440\u0435d out", "wiped out"),  # Cherokee W, Cyrillic i, p, e
        (FULLWIDTH, "idiot"),
        (BOLD, "idiot"),
        ("\u00efd\u00ef\u00f6t", "idiot"),  # accents
        ("idiooooot", "idioot"),
    ],
)
def test_it_undoes_each_kind_of_evasion(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In the 1990s, 20 people paid $5 at 10pm.",
        "A classic assessment of the bass section.",
        "The attack killed 20 people on 3rd street",
    ],
)
def test_it_leaves_ordinary_text_as_it_reads(text: str) -> None:
    assert normalise(text) == text.lower()


def test_it_says_where_each_character_came_from() -> None:
    text = "  You are an 1D-10T,\tso  b\u0435 gone!!!  "
    normalised, origins = normalise_with_origins(text)
    assert len(origins) == len(normalised)
    assert origins == sorted(origins)
    assert normalised == "you are an idiot, so be gone!!!"
    start = normalised.index("idiot")
    assert "".join(text[i] for i in origins[start : start + 5]) == "1D10T"
    for char, origin in zip(normalised, origins, strict=True):
        assert text[origin].isspace() == (char == " ")


def test_it_folds_confusables_from_unicodes_table_not_a_hand_made_map() -> None:
    folded = confusable_map()
    assert len(folded) > 500
    assert folded["\u0430"] == "a"  # CYRILLIC SMALL LETTER A
    assert folded["\u03bf"] == "o"  # GREEK SMALL LETTER OMICRON
    assert all(not key.isascii() for key in folded)
    assert not any(unicodedata.combining(c) for c in normalise("caf\u0065\u0301"))
