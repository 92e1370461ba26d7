"""Identity-term fairness: does naming who one is raise the toxicity score?

Measured on a templated set (data/fairness/fairness.csv, Dixon et al. 2018): neutral, positive
and toxic sentences crossed with identity terms. Per term, three ROC-AUCs (Borkan et al. 2019,
"Nuanced Metrics for Measuring Unintended Bias"):

- subgroup AUC: the term's own rows, toxic against non-toxic;
- BPSN (background positive, subgroup negative): toxic rows without the term against non-toxic
  rows with it; low when harmless mentions of the term score like toxic comments;
- BNSP (background negative, subgroup positive): the converse.

The bias score is Jigsaw's: 0.25 x overall AUC + 0.75 x the mean of the three lists' power
means with p = -5 (which weighs the worst terms most).

Mitigation: counterfactual augmentation. Non-toxic training rows that mention an identity
term gain copies with the term swapped for others, so no term is learnt as a sign of toxicity
from who happens to be named in Wikipedia's quarrels.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

FAIRNESS_PATH = "fairness/fairness.csv"
POWER = -5.0

# Adjectives, so every one fits "I am a ___ person." Sexual orientation, gender, race and
# ethnicity, religion, age, disability, origin.
IDENTITY_TERMS: tuple[str, ...] = (
    "lesbian", "gay", "bisexual", "transgender", "trans", "queer", "straight", "heterosexual",
    "homosexual", "nonbinary",
    "female", "male", "feminist",
    "black", "white", "asian", "latino", "latina", "hispanic", "african", "african american",
    "arab", "indian", "native american", "european", "mexican", "chinese", "middle eastern",
    "jewish", "muslim", "christian", "catholic", "protestant", "hindu", "buddhist", "sikh",
    "atheist",
    "old", "elderly", "young", "teenage", "millennial",
    "deaf", "blind", "disabled", "autistic", "paralyzed",
    "immigrant", "refugee", "canadian",
)  # fmt: skip


@dataclass(frozen=True)
class FairnessRows:
    texts: list[str]
    terms: list[str]
    targets: npt.NDArray[np.int8]


def read_fairness(data_dir: Path) -> FairnessRows | None:
    """The templated set under `data_dir`, or None when there is none (a custom data dir)."""
    path = data_dir / FAIRNESS_PATH
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return FairnessRows(
        texts=[row["text"] for row in rows],
        terms=[row["term"] for row in rows],
        targets=np.array([int(row["toxic"]) for row in rows], dtype=np.int8),
    )


def power_mean(values: npt.ArrayLike, p: float = POWER) -> float:
    array = np.asarray(values, dtype=np.float64)
    if (array <= 0).any():
        return 0.0  # the limit of the mean as a value goes to 0, for p < 0
    return float(np.mean(array**p) ** (1 / p))


def measure(rows: FairnessRows, scores: npt.ArrayLike) -> dict[str, Any]:
    """Per-term subgroup, BPSN and BNSP AUCs, the overall AUC and the bias score."""
    s = np.asarray(scores, dtype=np.float64)
    y = rows.targets.astype(bool)
    terms = np.array(rows.terms, dtype=object)
    per_term: dict[str, dict[str, float]] = {}
    for term in dict.fromkeys(rows.terms):
        mine = terms == term
        per_term[term] = {
            "subgroup_auc": _auc(y[mine], s[mine]),
            "bpsn_auc": _auc(np.r_[y[~mine & y], y[mine & ~y]], np.r_[s[~mine & y], s[mine & ~y]]),
            "bnsp_auc": _auc(np.r_[y[~mine & ~y], y[mine & y]], np.r_[s[~mine & ~y], s[mine & y]]),
        }
    overall = _auc(y, s)
    means = [
        power_mean([figures[name] for figures in per_term.values()])
        for name in ("subgroup_auc", "bpsn_auc", "bnsp_auc")
    ]
    worst = sorted(per_term, key=lambda term: per_term[term]["bpsn_auc"])
    return {
        "overall_auc": overall,
        "bias_score": 0.25 * overall + 0.75 * float(np.mean(means)),
        "power_means": dict(zip(("subgroup_auc", "bpsn_auc", "bnsp_auc"), means, strict=True)),
        "min_bpsn_auc": per_term[worst[0]]["bpsn_auc"],
        "terms_under_bpsn_target": [t for t in worst if per_term[t]["bpsn_auc"] < BPSN_TARGET],
        "worst_terms": [{"term": term, **per_term[term]} for term in worst[:5]],
        "terms": per_term,
        "n": len(y),
    }


# The targets, printed beside the figures.
BPSN_TARGET = 0.80
BIAS_SCORE_TARGET = 0.92


def _auc(targets: npt.NDArray[Any], scores: npt.NDArray[Any]) -> float:
    return float(roc_auc_score(targets.astype(int), scores))


_TERM_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(IDENTITY_TERMS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def identity_terms_in(text: str) -> set[str]:
    """The identity terms `text` names, lowercased."""
    return {match.group(1).lower() for match in _TERM_PATTERN.finditer(text)}


def counterfactuals(texts: npt.NDArray[Any], targets: npt.NDArray[Any]) -> tuple[list[str], int]:
    """Harmless copies of the non-toxic texts that name an identity term, with another term.

    For every term that appears in toxic texts more often than toxicity's share of all the texts
    would predict, copies of the harmless texts (any term swapped for this one, taken in turn)
    are added until its harmless mentions bring its toxic share down to that overall share.
    Returns the copies and how many distinct texts they were made from. Deterministic.
    """
    pool = [
        str(text)
        for text, target in zip(texts, targets, strict=True)
        if not target and _TERM_PATTERN.search(str(text))
    ]
    if not pool:
        return [], 0
    overall = float(np.mean(targets))
    toxic: dict[str, int] = dict.fromkeys(IDENTITY_TERMS, 0)
    harmless: dict[str, int] = dict.fromkeys(IDENTITY_TERMS, 0)
    for text, target in zip(texts, targets, strict=True):
        for term in identity_terms_in(str(text)):
            (toxic if target else harmless)[term] += 1
    out: list[str] = []
    used: set[int] = set()
    cursor = 0
    for term in IDENTITY_TERMS:
        wanted = int(toxic[term] * (1 - overall) / overall) - harmless[term] if overall else 0
        for _ in range(max(wanted, 0)):
            index = cursor % len(pool)
            out.append(_TERM_PATTERN.sub(term, pool[index]))
            used.add(index)
            cursor += 1
    return out, len(used)
