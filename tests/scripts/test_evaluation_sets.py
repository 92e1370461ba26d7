"""The challenge and fairness sets are what their scripts write, and hold what they promise."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from scripts import make_challenge_set, make_fairness_set

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
