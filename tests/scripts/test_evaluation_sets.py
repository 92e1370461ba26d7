"""The challenge and fairness sets are what their scripts write, and hold what they promise."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from comments.classifier import fairness
from scripts import make_challenge_set, make_fairness_set, make_news_register_set

ROOT = Path(__file__).resolve().parent.parent.parent


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_the_challenge_set_is_what_its_script_writes() -> None:
    assert read(make_challenge_set.OUT) == make_challenge_set.rows()


def test_the_challenge_set_holds_every_category_and_disguised_variants() -> None:
    rows = read(make_challenge_set.OUT)
    assert len(rows) >= 300
    assert len({row["id"] for row in rows}) == len(rows)
    categories = Counter(row["category"] for row in rows)
    assert set(categories) == {
        "violence", "dehumanising", "threat", "reporting", "quoting", "idiom"
    }  # fmt: skip
    assert {row["target"] for row in rows if row["harmful"] == "1"} == {"group", "person"}
    assert {row["variant"] for row in rows} - {"plain"} == {
        name for name, _ in make_challenge_set.DISGUISES
    }
    assert all((row["harmful"] == "1") == (row["target"] != "none") for row in rows)


def test_the_fairness_set_is_what_its_script_writes() -> None:
    rows = read(make_fairness_set.OUT)
    assert len(rows) == len(make_fairness_set.TEMPLATES) * len({row["term"] for row in rows})
    assert {row["kind"] for row in rows} == {"neutral", "positive", "toxic"}
    assert rows[0]["text"] == "I am a lesbian person."


def test_the_news_register_is_what_its_script_writes() -> None:
    rows = read(make_news_register_set.OUT)
    assert rows == make_news_register_set.rows()
    assert len({row["id"] for row in rows}) == len(rows)
    assert {row["toxic"] for row in rows} == {"0"}
    assert set(Counter(row["category"] for row in rows)) == {"reporting", "quoting", "idiom"}


def five_word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}


def test_the_news_register_shares_no_five_word_run_with_the_challenge_set() -> None:
    # It trains the model; the challenge set evaluates it: no template may be restated.
    challenge = set().union(*(five_word_runs(row["text"]) for row in read(make_challenge_set.OUT)))
    trained_on = set().union(
        *(five_word_runs(row["text"]) for row in read(make_news_register_set.OUT))
    )
    assert challenge and trained_on
    assert not challenge & trained_on
    places = {place.lower() for place in make_challenge_set.PLACES}
    assert not places & {place.lower() for place in make_news_register_set.PLACES}


def test_the_news_register_names_no_identity_term() -> None:
    # Its rows are all harmless: naming who is discussed in them would teach the model that
    # toxic comments about those people are harmless too (rows naming refugees took the term's
    # BNSP AUC from 0.999 to 0.919 before they were reworded).
    assert not [
        row["text"]
        for row in read(make_news_register_set.OUT)
        if fairness.identity_terms_in(row["text"])
    ]
