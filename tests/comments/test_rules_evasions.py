"""Property: however a banned phrase is disguised, the word rules still find it.

Hypothesis writes the disguises: case, look-alike letters of other scripts (from Unicode's
confusables table), full-width letters, accents, digits and symbols for letters, separators
inside words, a word spelled out letter by letter, and long runs of one letter, in any mix.
Three disguises are out of scope, by design, since ordinary text reads the same way: a "!"
that ends a word is punctuation, a word written only in digits ("83" for "be") is a number, and
so is a digit in a word spelled out with spaces ("1 d 1 0 t").
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comments.classifier.normalise import LEET, SEPARATORS, confusable_map, normalise
from comments.rules import WordMatcher

BANNED = ("idiot", "wiped out", "vermin", "kill yourself", "scum", "should be exterminated")
MATCHER = WordMatcher.compile(BANNED)
COMBINING = ("\u0301", "\u0308", "\u0300", "\u0327")
CONTEXTS = ("{}", "You are an {}.", "They should all be {}!", "what a {}, honestly", "({})")


@cache
def look_alikes(letter: str) -> tuple[str, ...]:
    """Characters of other scripts that Unicode lists as confusable with `letter`."""
    return tuple(
        sorted(
            char
            for char, ascii_letter in confusable_map().items()
            if ascii_letter == letter and char.isalpha() and normalise(char) == letter
        )
    )


@st.composite
def disguised_letter(draw: st.DrawFn, letter: str, *, last: bool, spelled_out: bool) -> str:
    kinds = ["same", "upper", "accent", "repeat"]
    if look_alikes(letter):
        kinds.append("look-alike")
    if letter.isascii() and letter.isalpha():
        kinds.append("full-width")
    substitutes = [
        symbol for symbol, stands_for in LEET.items() if stands_for == letter and symbol != "|"
    ]
    if substitutes and not spelled_out:
        if last:
            substitutes = [s for s in substitutes if s != "!"]
        if substitutes:
            kinds.append("substitute")
    kind = draw(st.sampled_from(kinds))
    if kind == "upper":
        return letter.upper()
    if kind == "accent":
        return letter + draw(st.sampled_from(COMBINING))
    if kind == "repeat":
        return letter * draw(st.integers(min_value=2, max_value=7))
    if kind == "look-alike":
        return draw(st.sampled_from(look_alikes(letter)))
    if kind == "full-width":
        return chr(ord(letter) + 0xFEE0)
    if kind == "substitute":
        return draw(st.sampled_from(substitutes))
    return letter


@st.composite
def disguised_word(draw: st.DrawFn, word: str) -> str:
    spelled_out = len(word) >= 3 and draw(st.booleans())
    letters = [
        draw(disguised_letter(c, last=i == len(word) - 1, spelled_out=spelled_out))
        for i, c in enumerate(word)
    ]
    if not any(c.isalpha() for c in "".join(letters)):
        letters[0] = word[0]  # a word of digits alone is a number (see the module's docstring)
    if spelled_out:
        return draw(st.sampled_from([" ", ".", " . ", "-", "_", "  "])).join(letters)
    out = letters[0]
    for letter in letters[1:]:
        if draw(st.booleans()):
            out += draw(st.sampled_from(SEPARATORS.replace("!", "")))
        out += letter
    return out


@st.composite
def evasion(draw: st.DrawFn) -> tuple[str, str]:
    phrase = draw(st.sampled_from(BANNED))
    words = [draw(disguised_word(word)) for word in phrase.split()]
    joiner = draw(st.sampled_from([" ", "  ", "-", "\u00a0"]))
    return phrase, draw(st.sampled_from(CONTEXTS)).format(joiner.join(words))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evasion())
def test_every_disguise_of_a_banned_phrase_is_caught(case: tuple[str, str]) -> None:
    phrase, text = case
    assert phrase in MATCHER.find(text), (text, normalise(text))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BANNED), st.sampled_from(["ass", "class", "skill", "villain", "crumb"]))
def test_disguise_folding_does_not_invent_matches(phrase: str, innocent: str) -> None:
    assert WordMatcher.compile([phrase]).find(f"A {innocent} of the {innocent}s.") == ()


def test_it_keeps_ordinary_words_apart_from_banned_ones() -> None:
    matcher = WordMatcher.compile(["ass", "kill"])
    assert matcher.find("As a class, they assessed the skill of the bass player.") == ()
    assert matcher.find("They k-i-l-l and they a s s.") == ("kill", "ass")
