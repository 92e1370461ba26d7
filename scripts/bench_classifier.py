"""Print the classifier's quality, speed and size figures: `make bench-classifier`.

Each headline figure is printed beside the previous run's (kept in var/bench-classifier.json),
so a change to the model shows what it moved: validation ROC-AUC per label, the workload split,
the challenge set by category (data/challenge/), identity-term fairness (data/fairness/),
latency and artifact size.

Trains the full model exactly as `manage.py train_classifier` does (without storing it), then
prints per label: validation ROC-AUC, average precision and precision at 80% recall (at the
label's real base rate), Brier score and reliability curve; the thresholds derived from the
default targets and the workload they imply; training time; artifact size and load time;
scoring latency for one comment and for a batch of 1,000. Beside our figures it prints those of
alt-profanity-check, a pre-trained scikit-learn peer run in its own virtualenv.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402
import numpy as np  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from comments import policy  # noqa: E402
from comments.classifier import metrics  # noqa: E402
from comments.classifier.artifact import deserialize, serialize  # noqa: E402
from comments.classifier.data import SOURCE_BY_LABEL, read_examples  # noqa: E402
from comments.classifier.fairness import BIAS_SCORE_TARGET, BPSN_TARGET  # noqa: E402
from comments.classifier.labels import LABELS  # noqa: E402
from comments.classifier.pipeline import forget_words, positive_probabilities  # noqa: E402
from comments.classifier.runtime import ActiveModel  # noqa: E402
from comments.classifier.thresholds import Targets  # noqa: E402
from comments.classifier.training import train  # noqa: E402
from comments.model_versions import get_active_model  # noqa: E402
from comments.rules import harm_categories  # noqa: E402

LAST_RUN = ROOT / "var" / "bench-classifier.json"
CHALLENGE = ROOT / "data" / "challenge" / "challenge.csv"

PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
SINGLE_RUNS = 300
BATCH = 1000
BATCH_RUNS = 5
LOAD_RUNS = 5


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def figures_line(name: str, result: metrics.Evaluation) -> str:
    return (
        f"  {name:<34} ROC-AUC {result.roc_auc:.4f}  AP {result.average_precision:.4f}  "
        f"P@R80 {result.precision_at_recall_80:.4f}  Brier {result.brier:.4f}  n {result.n:,}"
    )


def peer_scores(texts: list[str]) -> list[float] | None:
    if not PEER_PYTHON.exists():
        return None
    result = subprocess.run(  # noqa: S603 (our own virtualenv and script)
        [str(PEER_PYTHON), str(ROOT / "scripts" / "peer_profanity_check.py")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    scores: list[float] = json.loads(result.stdout)
    return scores


class Figures:
    """This run's headline figures, each printed beside the previous run's."""

    def __init__(self) -> None:
        try:
            self.last: dict[str, float] = json.loads(LAST_RUN.read_text())
        except (OSError, ValueError):
            self.last = {}
        self.now: dict[str, float] = {}

    def beside(self, key: str, value: float, fmt: str = ".4f") -> str:
        self.now[key] = value
        before = self.last.get(key)
        return f"{value:{fmt}}" + (f" (last run {before:{fmt}})" if before is not None else "")

    def save(self) -> None:
        LAST_RUN.parent.mkdir(exist_ok=True)
        LAST_RUN.write_text(json.dumps(self.now, indent=1, sort_keys=True))


def main() -> None:
    data_dir = Path(settings.TRAINING_DATA_DIR)
    targets = {
        label: Targets.from_setting(raw) for label, raw in settings.MODERATION_TARGETS.items()
    }
    print(f"Training the full model on {data_dir} (2 cores; as `manage.py train_classifier`)")
    trained = train(data_dir=data_dir, targets=targets, progress=lambda line: None)
    figures = Figures()
    print(
        f"  training time {figures.beside('training_seconds', trained.training_seconds, '.1f')}"
        " s (budget 300 s)"
    )
    for label in trained.labels:
        own = trained.metrics[label]["roc_auc"]
        print(f"  {label} validation ROC-AUC {figures.beside(f'{label}_roc_auc', own)}")
        mixed = trained.metrics[label].get("roc_auc_with_borrowed_negatives")
        if mixed is not None:
            print(
                f"  {label} ROC-AUC with ordinary discussion as negatives "
                f"{figures.beside(f'{label}_roc_auc_mixed', mixed)} (target >= 0.998)"
            )

    print("\nQuality on our validation split (sha256(id) % 5 == 0)")
    peer_note = (
        "alt-profanity-check was trained on Jigsaw and Davidson comments, very likely including "
        "these validation rows: its Jigsaw figures are inflated."
    )
    for label, rows in trained.validation.items():
        own = rows.own
        ours = metrics.evaluate(rows.targets[own], rows.scores[own], base_rate=rows.base_rate)
        rate = f"{rows.base_rate:.0%}" if rows.base_rate else "as sampled"
        print(f" {label} (precision figures at {rate} positives)")
        print(figures_line("newsroom", ours))
        if not own.all():
            print(
                figures_line(
                    "newsroom, with borrowed negatives", metrics.evaluate(rows.targets, rows.scores)
                )
            )
            held = float((rows.scores[~own] >= trained.thresholds[label]["publish"]).mean())
            print(
                f"  ordinary discussion held for {label}: {held:.2%} of {int((~own).sum()):,} rows"
            )
        own_texts = [text for text, mine in zip(rows.texts, own, strict=True) if mine]
        peer = peer_scores(own_texts)
        if peer is None:
            print(
                "  alt-profanity-check: not installed (make bench-classifier installs .venv-peer)"
            )
        else:
            peer_result = metrics.evaluate(rows.targets[own], peer, base_rate=rows.base_rate)
            seen = "seen in its training: inflated" if label == "toxicity" else "unseen by it"
            print(figures_line(f"alt-profanity-check ({seen})", peer_result))
        print("  reliability (score bin: mean score vs share positive, rows)")
        for row in ours.reliability:
            print(
                f"    {row.lower:.1f}-{row.upper:.1f}: {row.mean_score:.3f} "
                f"vs {row.positive_rate:.3f} ({row.count:,})"
            )
    print(f" note: {peer_note}")

    print("\nThresholds from the default targets, and the moderators' workload")
    for label, limits in trained.thresholds.items():
        derived = trained.metrics[label]["thresholds"]
        goal = derived["targets"]
        precision = derived["reject_precision"]
        reject = (
            f"reject from {limits['reject']:.4f} (precision {precision:.1%})"
            if precision is not None
            else "never reject (no threshold reaches the precision)"
        )
        print(
            f"  {label}: targets harm in published <= {goal['max_harm_published']:.0%}, "
            f"reject precision >= {goal['min_reject_precision']:.0%} -> publish below "
            f"{limits['publish']:.4f} (harm {derived['harm_published']:.2%}), {reject}"
        )
    w = trained.workload
    print(
        f"  workload on {w['n']:,} {w['sample']}: "
        f"{figures.beside('published', w['published'], '.2%')} published automatically, "
        f"{figures.beside('held', w['held'], '.2%')} held for moderators, "
        f"{figures.beside('rejected', w['rejected'], '.2%')} rejected automatically; decided "
        f"automatically {figures.beside('decided', 1 - w['held'], '.2%')} (target >= 92%)"
    )

    challenge_lines(trained, figures)
    fairness_table(trained, figures)
    lexicon_on_jigsaw(figures)

    print("\nSize and speed")
    started = time.perf_counter()
    artifact = serialize(trained.pipelines)
    save_seconds = time.perf_counter() - started
    load_seconds = median_seconds(lambda: deserialize(artifact), LOAD_RUNS)
    print(
        f"  artifact {figures.beside('artifact_mb', len(artifact) / 1e6, '.1f')} MB "
        f"(budget 20 MB); save {save_seconds:.2f} s; load "
        f"{figures.beside('load_seconds', load_seconds, '.2f')} s median of {LOAD_RUNS} "
        "(budget 3 s)"
    )

    model = ActiveModel(
        record_id=0,
        version=0,
        pipelines=deserialize(artifact),
        thresholds=trained.thresholds,
    )
    texts = trained.validation["toxicity"].texts
    # A worker remembers the words it has hashed (comments repeat one another's words), so
    # each figure says whether it starts from nothing (cold) or after 1,000 comments (warm).
    batch = texts[:BATCH]
    others = texts[BATCH:]

    def cold_batch() -> None:
        forget_words()
        model.score_many(batch)

    batch_cold = median_seconds(cold_batch, BATCH_RUNS)
    batch_warm = median_seconds(lambda: model.score_many(batch), BATCH_RUNS)
    forget_words()
    model.score_many(batch)  # a worker that has scored 1,000 comments
    singles = iter(others)
    single = median_seconds(lambda: model.score(next(singles)), SINGLE_RUNS)
    explained = iter(others)
    explain = median_seconds(lambda: model.explain(next(explained)), SINGLE_RUNS)
    print(
        f"  score one new comment (both labels): "
        f"{figures.beside('score_ms', single * 1000, '.2f')} ms median over "
        f"{SINGLE_RUNS} comments, after 1,000 others"
    )
    print(
        "  explain one comment (both labels): "
        f"{figures.beside('explain_ms', explain * 1000, '.2f')} ms median; "
        "scoring and explaining together budget 10 ms"
    )
    print(
        f"  score a batch of {len(batch):,}: {batch_cold:.3f} s cold, {batch_warm:.3f} s when its "
        f"words are known; median of {BATCH_RUNS} (budget 0.5 s)"
    )

    figures.save()
    decisions_line()


def challenge_lines(trained: Any, figures: Figures) -> None:
    """What the policy does with each category of the challenge set, with and without the
    harm lexicon (the workspace's word lists, which live in a database, are left out)."""
    with CHALLENGE.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    texts = [row["text"] for row in rows]
    scores = {
        label: positive_probabilities(pipeline, np.array(texts, dtype=object))
        for label, pipeline in trained.pipelines.items()
    }
    thresholds = policy.thresholds_from_settings(trained.thresholds)
    outcomes: dict[tuple[str, str], Counter[str]] = {}
    for i, row in enumerate(rows):
        row_scores = {label: float(values[i]) for label, values in scores.items()}
        for rules_name, signals in (
            ("model alone", policy.RuleSignals()),
            ("with harm lexicon", policy.RuleSignals(harm=harm_categories(row["text"]))),
        ):
            decision = policy.decide(scores=row_scores, thresholds=thresholds, rules=signals)
            outcomes.setdefault((rules_name, row["category"]), Counter())[decision.status] += 1
    print(f"\nChallenge set ({len(rows)} rows, {CHALLENGE.relative_to(ROOT)}): published / held /")
    print("rejected per category; targets: no harmful row published, <= 5% of look-alikes held")
    for rules_name in ("model alone", "with harm lexicon"):
        print(f"  {rules_name}")
        for category in ("violence", "dehumanising", "threat", "reporting", "quoting", "idiom"):
            count = outcomes[(rules_name, category)]
            total = sum(count.values())
            harmful = category in {"violence", "dehumanising", "threat"}
            key = f"challenge_{rules_name.split()[0]}_{category}"
            share = count[policy.PUBLISH] / total if harmful else count[policy.HOLD] / total
            what = "published" if harmful else "held"
            print(
                f"    {category:<13} {count[policy.PUBLISH]:>4} / {count[policy.HOLD]:>4} / "
                f"{count[policy.REJECT]:>4} of {total:>4}; {what} "
                f"{figures.beside(key, share, '.1%')}"
            )
        look_alikes = [
            outcomes[(rules_name, category)] for category in ("reporting", "quoting", "idiom")
        ]
        held = sum(count[policy.HOLD] + count[policy.REJECT] for count in look_alikes)
        total = sum(sum(count.values()) for count in look_alikes)
        key = f"challenge_{rules_name.split()[0]}_look_alikes"
        print(
            f"    look-alikes held or rejected: {held} of {total}, "
            f"{figures.beside(key, held / total, '.1%')} (target <= 5%)"
        )


def fairness_table(trained: Any, figures: Figures) -> None:
    fairness = trained.metrics["toxicity"].get("fairness")
    if fairness is None:
        print("\nIdentity-term fairness: no data/fairness/ set found")
        return
    print(
        f"\nIdentity-term fairness on {fairness['n']:,} templated rows: bias score "
        f"{figures.beside('bias_score', fairness['bias_score'])} (target >= {BIAS_SCORE_TARGET}); "
        f"lowest BPSN {figures.beside('min_bpsn', fairness['min_bpsn_auc'])} "
        f"(target >= {BPSN_TARGET}); {len(fairness['terms_under_bpsn_target'])} term(s) under it"
    )
    print("  term                 subgroup   BPSN    BNSP   (AUC; worst BPSN first)")
    terms = fairness["terms"]
    for term in sorted(terms, key=lambda t: terms[t]["bpsn_auc"]):
        row = terms[term]
        print(
            f"  {term:<20} {row['subgroup_auc']:.4f}  {row['bpsn_auc']:.4f}  {row['bnsp_auc']:.4f}"
        )


def lexicon_on_jigsaw(figures: Figures) -> None:
    """The harm lexicon on rows it was not written against: Jigsaw's own labels."""
    jigsaw = read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=ROOT / "data")
    clean = [t for t, y in zip(jigsaw.texts, jigsaw.targets, strict=True) if not y]
    held = sum(1 for text in clean if harm_categories(text))
    print(
        f"\nHarm lexicon on Jigsaw's {len(clean):,} clean rows: holds "
        f"{figures.beside('lexicon_clean_held', held / len(clean), '.3%')} ({held:,} rows)"
    )


def decisions_line() -> None:
    """Compare on moderators' decisions in the configured database, if it holds any."""
    from django.db import DatabaseError

    from comments.model_versions import moderator_decisions

    try:
        decisions = moderator_decisions(labels=LABELS)
    except DatabaseError as error:
        print(f"\nModerator decisions: database not readable ({error}); none compared.")
        return
    if not decisions:
        print("\nModerator decisions: none in this database yet; nothing to compare on.")
        return
    model = get_active_model()
    print("\nModerators' decisions in this database (unseen by both models)")
    for label, rows in decisions.items():
        if len(set(rows.targets.tolist())) < 2 or model is None:
            print(
                f"  {label}: {len(rows.texts):,} decisions, not both outcomes; nothing to compare"
            )
            continue
        ours = metrics.evaluate(rows.targets, model.score_many(rows.texts)[label])
        print(figures_line(f"{label}: active v{model.version}", ours))
        peer = peer_scores(rows.texts)
        if peer is not None:
            print(
                figures_line(f"{label}: alt-profanity-check", metrics.evaluate(rows.targets, peer))
            )


if __name__ == "__main__":
    main()
