"""Score texts with alt-profanity-check, the peer `make bench-classifier` compares against.

Runs in its own virtualenv (.venv-peer): the package pins exact scikit-learn and joblib
versions and loads a joblib pickle, so it stays out of the project's environment. Reads a JSON
list of texts on stdin and writes a JSON list of probabilities on stdout.
"""

from __future__ import annotations

import json
import sys

from profanity_check import predict_prob


def main() -> None:
    texts = json.load(sys.stdin)
    json.dump([float(p) for p in predict_prob(texts)], sys.stdout)


if __name__ == "__main__":
    main()
