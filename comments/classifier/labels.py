"""The labels the classifier scores, importable without scikit-learn, SciPy or NumPy.

Web processes name the labels (forms, help texts) but never score; this module lets them do so
without loading the ML stack. `data.SOURCES` says where each label's examples come from, in the
same order (a test keeps the two in step).
"""

from __future__ import annotations

LABELS: tuple[str, ...] = ("toxicity", "spam")
