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


def run_probe(probe: str, *args: str) -> list[str]:
    """Run `probe` in a fresh interpreter; return the JSON list on its last line of output."""
    result = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def heavy_packages_loaded_by(*modules: str) -> list[str]:
    return run_probe(PROBE, *modules)


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


# What a web process needs only when a request uses it: the REST API (django-ninja, pydantic, and
# the django.test, Jinja2 and unittest that ninja imports) loads with its URLconf on the first
# request or reverse under /api/v1/, and PyJWT (with cryptography's keys) on the first embed
# sign-in. About 25 MB of a web worker's resident memory between them.
ON_FIRST_USE = ("ninja", "pydantic", "jwt", "jinja2")

# Start as gunicorn does (the WSGI module), resolve and reverse a page of each app outside the
# API, import every view module, run the given code, and say which of ON_FIRST_USE loaded.
WEB_PROBE = f"""
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
import newsroom.wsgi
from django.urls import resolve, reverse
for name, args in [
    ("articles:index", []), ("comments:post", ["x"]), ("moderation:queue", []),
    ("integrations:perspective-analyze", []), ("integrations:embed-sso", []),
    ("admin:index", []), ("healthz", []),
]:
    resolve(reverse(name, args=args))
import integrations.embed, integrations.views, integrations.workspace, integrations.services
exec(sys.argv[1])
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({ON_FIRST_USE!r}))))
"""


def first_use_packages_loaded_by(code: str) -> list[str]:
    return run_probe(WEB_PROBE, code)


def test_a_web_process_starts_without_the_rest_api_or_jwt() -> None:
    assert first_use_packages_loaded_by("") == []


@pytest.mark.parametrize(
    "code",
    [
        "resolve('/api/v1/stories')",
        "reverse('api:openapi-json')",
    ],
)
def test_the_rest_api_loads_on_its_first_request_or_reverse(code: str) -> None:
    # The probe above would see them: the test above cannot pass by not looking.
    assert first_use_packages_loaded_by(code) == ["jinja2", "ninja", "pydantic"]


def test_jwt_loads_on_the_first_sso_token() -> None:
    code = (
        "from integrations.sso import SsoError, verify_token\n"
        "try:\n"
        "    verify_token('a.b.c', secrets=['s'], max_lifetime=60)\n"
        "except SsoError:\n"
        "    pass\n"
    )
    assert first_use_packages_loaded_by(code) == ["jwt"]
