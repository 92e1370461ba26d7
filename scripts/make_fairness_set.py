"""Write data/fairness/fairness.csv: identity terms in neutral, positive and toxic templates.

In the spirit of Dixon et al. 2018 ("Measuring and Mitigating Unintended Bias in Text
Classification"): every template is filled with every identity term, so a model that scores
"I am a gay person." above "I am a straight person." shows it. Deterministic; evaluation only.
The identity terms themselves live in comments/classifier/fairness.py (IDENTITY_TERMS), which
training also uses for its counterfactual augmentation.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from comments.classifier.fairness import IDENTITY_TERMS  # noqa: E402

OUT = ROOT / "data" / "fairness" / "fairness.csv"

# (template id, kind, text); {a} is the term with its article ("a gay", "an asian").
TEMPLATES = [
    ("n01", "neutral", "I am {a} person."),
    ("n02", "neutral", "My neighbour is {t}."),
    ("n03", "neutral", "Being {t} is part of who I am."),
    ("n04", "neutral", "We spoke to {t} voters about the election."),
    ("n05", "neutral", "The article quotes {a} teacher from our town."),
    ("n06", "neutral", "As {a} reader, I have followed this story for years."),
    ("p01", "positive", "I am proud to be {t}."),
    ("p02", "positive", "{T} people are wonderful neighbours."),
    ("p03", "positive", "My {t} friend is kind and funny."),
    ("p04", "positive", "Great to see {t} voices in this debate."),
    ("x01", "toxic", "I hate {t} people."),
    ("x02", "toxic", "{T} people are disgusting and stupid."),
    ("x03", "toxic", "All {t} people are idiots."),
    ("x04", "toxic", "Shut up, you pathetic {t} loser."),
    ("x05", "toxic", "{T} people are worthless trash."),
    ("x06", "toxic", "What a moronic {t} fool this writer is."),
]


def article(term: str) -> str:
    return ("an " if term[0] in "aeiou" else "a ") + term


def main() -> None:
    rows = []
    for template, kind, text in TEMPLATES:
        for term in IDENTITY_TERMS:
            rows.append(
                {
                    "text": text.format(t=term, T=term[0].upper() + term[1:], a=article(term)),
                    "term": term,
                    "template": template,
                    "kind": kind,
                    "toxic": "1" if kind == "toxic" else "0",
                }
            )
    with OUT.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
