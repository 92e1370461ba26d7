# newsroom: `make run` sets everything up and starts the site; `make test` runs every test.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export REDIS_URL ?= redis://127.0.0.1:6379/0
# Development mode, explicitly, for everything make runs: the settings default to production
# (and refuse to start without DJANGO_SECRET_KEY there). `DJANGO_DEBUG=0 make ...` overrides.
export DJANGO_DEBUG ?= 1

.PHONY: help install run test lint typecheck bench bench-load bench-classifier chromium clean

help:
	@echo "make run      set up (venv, packages, database, demo, model) and start web + worker + beat"
	@echo "make install  the set-up part of 'make run' alone"
	@echo "make test     set up and run every test (lint, types, unit, integration, browser)"
	@echo "make bench    print performance figures (SQLite; LOAD=1 adds the load mode)"
	@echo "make bench-load  newsroom under gunicorn + Celery on PostgreSQL, beside a minimal Django"
	@echo "make bench-classifier  train the full model and print its quality, speed and size"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "newsroom needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the declared dependencies change. `make run` needs the site's packages
# only; the test and lint tools come with `make test`.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing newsroom's packages into $(VENV) (a minute or two the first time)..."
	$(BIN)/python -m pip install --quiet --progress-bar off -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "Installing the test and lint tools into $(VENV)..."
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
	$(BIN)/python manage.py setup_site

# supervisord runs web, worker and beat (and Redis when none answers at REDIS_URL), restarting
# whichever dies; see scripts/run.py.
# Redis is checked first, so a machine without one hears so before minutes of set-up.
run: $(VENV)/.installed
	@$(BIN)/python scripts/run.py --check
	@$(MAKE) --no-print-directory install
	@HOST=$(HOST) PORT=$(PORT) exec $(BIN)/python scripts/run.py

chromium:
	@bash scripts/ensure_chromium.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: $(VENV)/.installed-dev chromium lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The benchmarks enqueue tasks: not onto db 0, which `make run`'s worker consumes, nor db 15,
# which the tests use.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
bench: export REDIS_URL := $(BENCH_REDIS_URL)
bench: $(VENV)/.installed-dev
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_scoring.py
	$(BIN)/python scripts/bench_redelivery.py
	$(BIN)/python scripts/bench_notifications.py
	$(BIN)/python scripts/bench_live.py
	$(BIN)/python scripts/bench_sse.py
	@echo ""
	@echo "The first minutes of a new user (a bare clone of HEAD, then a second start):"
	$(BIN)/python scripts/first_minute.py
	@if [ -n "$(LOAD)" ]; then $(MAKE) --no-print-directory bench-load; fi

# The load mode (issue 15): gunicorn and a Celery worker on a fresh PostgreSQL database (created
# on BENCH_DATABASE_URL's server and dropped), driven by locust over loopback on ports
# BENCH_LOAD_PORT and the one after, beside a minimal Django app measured in the same run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_LOAD_PORT ?= 8310
bench-load: export REDIS_URL := $(BENCH_REDIS_URL)
bench-load: $(VENV)/.installed-dev
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_LOAD_PORT=$(BENCH_LOAD_PORT) \
		$(BIN)/python scripts/bench_load.py

# The peer model lives in its own virtualenv: it pins exact scikit-learn and joblib versions.
PEER := .venv-peer
$(PEER)/.installed:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet alt-profanity-check==1.9.1
	@touch $@

bench-classifier: $(VENV)/.installed-dev $(PEER)/.installed
	$(BIN)/python scripts/bench_classifier.py

clean:
	rm -rf $(VENV) $(PEER) var staticfiles .pytest_cache .mypy_cache .ruff_cache
