"""Web processes and light commands start without loading scikit-learn, SciPy or skops.

They take seconds to import, and a web process never scores: only the modules that score, train
or load an artifact may import them. Each check runs in a fresh interpreter, since this one has
long since imported them for the other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HEAVY = ("sklearn", "scipy", "skops")
APPS = ("newsroom", "articles", "comments", "moderation", "integrations")

# The modules that score, train or load an artifact: the only ones allowed to import the ML
# stack, and only the Celery worker and the classifier's own commands import them.
SCORES_TRAINS_OR_LOADS = {
    "comments.scoring",
    "comments.drafts",
    "comments.model_versions",
    "comments.management.commands.activate_classifier",
    "comments.management.commands.evaluate_classifier",
    "comments.management.commands.train_classifier",
    "integrations.scoring",
}
# The classifier package itself, and its light modules: the labels, and the text normalisation
# the web's word rules share with the model.
LIGHT_CLASSIFIER_MODULES = {
    "comments.classifier",
    "comments.classifier.labels",
    "comments.classifier.normalise",
    "comments.classifier.stop_words",
}

# Set up Django as `manage.py` does (the admin's autodiscovery included), load the URLconf and
# resolve a route of each app, import the given modules, and say which heavy packages loaded.
PROBE = f"""
import importlib, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
import django
django.setup()
from django.urls import reverse
reverse("articles:index"), reverse("comments:post", args=["x"]), reverse("moderation:queue")
reverse("integrations:perspective-analyze")
reverse("admin:index")
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def heavy_packages_loaded_by(*modules: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def project_modules() -> list[str]:
    """Every module of the project's apps, by file name (importing them is the probe's job)."""
    names = []
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            parts = path.relative_to(BASE_DIR).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def is_light(module: str) -> bool:
    if module in SCORES_TRAINS_OR_LOADS:
        return False
    if module.startswith("comments.classifier"):
        return module in LIGHT_CLASSIFIER_MODULES
    return True


def test_the_web_and_light_commands_start_without_the_ml_stack() -> None:
    light = [name for name in project_modules() if is_light(name)]
    # The ones that matter most, named so that a change to the walk above cannot skip them.
    for must in [
        "newsroom.urls",
        "newsroom.wsgi",
        "newsroom.celery",
        "comments.admin",
        "comments.tasks",
        "comments.services",
        "comments.views",
        "moderation.views.queue",
        "moderation.context_processors",
        "integrations.views",
        "articles.management.commands.load_demo",
        "comments.management.commands.list_classifiers",
    ]:
        assert must in light

    assert heavy_packages_loaded_by(*light) == []


@pytest.mark.parametrize("module", sorted(SCORES_TRAINS_OR_LOADS))
def test_what_scores_trains_or_loads_does_load_it(module: str) -> None:
    # The probe itself would see them: the test above cannot pass by not looking.
    assert heavy_packages_loaded_by(module) == sorted(HEAVY)


def test_manage_py_check_does_not_load_it() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", "check"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()
    }
    assert "System check identified no issues" in result.stdout
    assert imported.isdisjoint(HEAVY)
