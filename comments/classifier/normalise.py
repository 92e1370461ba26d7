"""One normalisation of comment text, for the word rules and the model's second view alike.

Evasions of a word list and of n-grams take a few shapes; each step undoes one of them:

1. Unicode NFKC: full-width and mathematical (bold, italic...) letters become plain ones.
2. Confusable folding: letters of other scripts that look like Latin ones (Cyrillic i and e,
   Greek omicron) become those Latin letters, from Unicode's confusables table as the
   `confusable-homoglyphs` package ships it; accents are dropped.
3. Case folding.
4. Digit and symbol substitutions inside a word that has letters ("1d10t", "sh!t", "@ss"):
   a number alone ("20", "$5") or a number with its unit ("1990s", "10pm") is left alone.
5. Separators inside a word ("wip.ed", "i-d-i-o-t", "k*ll") are removed, and so are the
   spaces of a spelled-out word ("i d i o t": three or more single letters in a row).
6. Runs of three or more of the same letter shrink to two ("idiooooot" -> "idioot"); the word
   rules then let each letter of a phrase repeat, so "idioot" still matches "idiot" while "as"
   never matches "ass".

`normalise_with_origins` also says, for each character of the result, which character of the
input it came from, so an explanation on the normalised text maps back to exact spans of the
original. It imports neither scikit-learn nor Django: the web's word rules use it too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from confusable_homoglyphs.confusables import confusables_data

# Substitutions readers use for letters, applied only inside words that have letters.
LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "€": "e",
}
# What may stand between the letters of one word as an evasion.
SEPARATORS = ".-_*\u00b7\u2022~+^=#/\\'\u2019`\",:;"
_SEPARATOR_CLASS = "[" + re.escape(SEPARATORS) + "]"
_LEET_CLASS = "[" + re.escape("".join(LEET)) + "]"
# A token: letters, digits, substitutes and separators with no space between them.
_TOKEN = re.compile(r"[^\s]+")
# A number, alone or with a unit, is not an evasion: "20", "1990s", "10pm", "3rd", "$5", "5!".
_NUMBER = re.compile(r"^[$€£]?[\d.,:]+(?:s|st|nd|rd|th|am|pm|k|m|bn|km|kg|x|%)?[!.,?]*$")
_SEPARATED = re.compile(rf"(?<=[^\W\d_]){_SEPARATOR_CLASS}+(?=[^\W\d_])")
# Three or more one-letter words apart ("i d i o t", "i . d . i . o . t", "i d i o tt"): a word
# spelled out. Without a space between them ("i.d.i.o.t") they are one word with separators.
_SPELLED_OUT = re.compile(
    r"(?<![^\W_])([^\W\d_])\1*"
    r"(?:[\s.\-_*\u00b7\u2022~+]*\s[\s.\-_*\u00b7\u2022~+]*([^\W\d_])\2*(?![^\W_])){2,}"
)
_RUNS = re.compile(r"([^\W\d_])\1\1+")
_SPACES = re.compile(r"\s+")


@cache
def confusable_map() -> dict[str, str]:
    """Each non-ASCII character that Unicode says looks like an ASCII letter or digit -> it."""
    folded: dict[str, str] = {}
    for character, entries in confusables_data.items():
        if len(character) != 1 or character.isascii():
            continue
        for entry in entries:
            glyph = entry["c"]
            if len(glyph) == 1 and glyph.isascii() and glyph.isalnum():
                folded[character] = glyph.lower()
                break
    return folded


Chars = list[tuple[str, int]]  # (character, index in the original text it came from)


@cache
def _fold_character(char: str) -> str:
    """Steps 1 to 3 for one character: NFKC, confusables, accents, case."""
    out = []
    for part in unicodedata.normalize("NFKC", char):
        part = confusable_map().get(part, part)
        for piece in unicodedata.normalize("NFKD", part):
            if not unicodedata.combining(piece):
                out.append(piece)
    return "".join(out).casefold()


def _text(chars: Chars) -> str:
    return "".join(char for char, _ in chars)


def _drop(chars: Chars, pattern: re.Pattern[str]) -> Chars:
    """Remove every character that `pattern` matches."""
    text = _text(chars)
    removed = bytearray(len(chars))
    for match in pattern.finditer(text):
        removed[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    return [pair for pair, gone in zip(chars, removed, strict=True) if not gone]


def _join_spelled_out(chars: Chars, *, one_letter_words: bool) -> Chars:
    text = _text(chars)
    removed = bytearray(len(chars))
    for match in _SPELLED_OUT.finditer(text):
        start = match.start()
        if one_letter_words and text[start] in "ai" and text[start + 1].isspace():
            # "a i d i o t": the run may begin with English's one-letter words.
            rest = _SPELLED_OUT.match(text, start + 2, match.end())
            if rest is not None and rest.end() == match.end():
                start = start + 2
        for offset in range(start, match.end()):
            if not text[offset].isalpha():
                removed[offset] = 1
    return [pair for pair, gone in zip(chars, removed, strict=True) if not gone]


def _shrink_runs(chars: Chars) -> Chars:
    text = _text(chars)
    removed = bytearray(len(chars))
    for match in _RUNS.finditer(text):
        removed[match.start() + 2 : match.end()] = b"\x01" * (match.end() - match.start() - 2)
    return [pair for pair, gone in zip(chars, removed, strict=True) if not gone]


def _substitute(chars: Chars) -> Chars:
    text = _text(chars)
    out: Chars = []
    position = 0
    for token in _TOKEN.finditer(text):
        out.extend(chars[position : token.start()])
        word = token.group()
        # A "!" that ends a word is punctuation ("idiot!"); one inside it is a letter ("sh!t").
        core = word.lstrip(SEPARATORS + "?()[]{}<>").rstrip(SEPARATORS + "!?()[]{}<>")
        substitute = (
            any(c.isalpha() for c in word)
            and re.search(_LEET_CLASS, core) is not None
            and not _NUMBER.match(word)
        )
        lead = len(word) - len(word.lstrip(SEPARATORS + "?()[]{}<>"))
        for offset, pair in enumerate(chars[token.start() : token.end()]):
            char, origin = pair
            inside = lead <= offset < lead + len(core)
            out.append((LEET.get(char, char), origin) if substitute and inside else pair)
        position = token.end()
    out.extend(chars[position:])
    return out


def normalise_with_origins(text: str, *, one_letter_words: bool = False) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index in `text` it came from.

    With `one_letter_words`, a spelled-out run that starts with "a" or "i" and a space keeps
    that letter as a word of its own ("what a i d i o t": "what a idiot"); the word rules try
    both readings.
    """
    chars: Chars = [(piece, i) for i, char in enumerate(text) for piece in _fold_character(char)]
    chars = _substitute(chars)
    chars = _join_spelled_out(chars, one_letter_words=one_letter_words)
    chars = _drop(chars, _SEPARATED)
    chars = _shrink_runs(chars)
    # Whitespace runs become one space; leading and trailing whitespace goes.
    collapsed: Chars = []
    for char, origin in chars:
        if char.isspace():
            if collapsed and collapsed[-1][0] != " ":
                collapsed.append((" ", origin))
        else:
            collapsed.append((char, origin))
    if collapsed and collapsed[-1][0] == " ":
        collapsed.pop()
    return _text(collapsed), [origin for _, origin in collapsed]


@lru_cache(maxsize=256)
def normalise(text: str, *, one_letter_words: bool = False) -> str:
    """The normalised text (see the module's docstring and `normalise_with_origins`).

    Remembered for the last texts: a worker's word lists and harm lexicon read each comment
    several times.
    """
    return normalise_with_origins(text, one_letter_words=one_letter_words)[0]


def normalise_for_model(text: str) -> str:
    """The model's second view of a text: a HashingVectorizer's preprocessor (a plain function,
    so that a stored artifact names it and the loader can trust exactly it)."""
    return normalise(text)
