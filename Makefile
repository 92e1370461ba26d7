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

.PHONY: help install run test lint typecheck bench bench-classifier chromium clean

help:
	@echo "make run      set up (venv, packages, database, demo, model) and start web + worker + beat"
	@echo "make install  the set-up part of 'make run' alone"
	@echo "make test     set up and run every test (lint, types, unit, integration, browser)"
	@echo "make bench    print performance figures"
	@echo "make bench-classifier  train the full model and print its quality, speed and size"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "newsroom needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py train_classifier --if-none-active

run: $(VENV)/.installed
	@$(BIN)/python scripts/check_redis.py
	@$(MAKE) --no-print-directory install
	@echo ""
	@echo "  Newsroom is starting at http://$(HOST):$(PORT)/"
	@echo "  Moderation queue:       http://$(HOST):$(PORT)/moderation/"
	@echo "  Demo accounts (development passwords):"
	@echo "    moderator / moderator-dev-pass   (Moderators group)"
	@echo "    reader    / reader-dev-pass"
	@echo "  Stop with Ctrl-C."
	@echo ""
	HOST=$(HOST) WEB_PORT=$(PORT) $(BIN)/honcho start -f Procfile 2>&1 || true

chromium:
	@bash scripts/ensure_chromium.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

test: $(VENV)/.installed chromium lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench.py

# The peer model lives in its own virtualenv: it pins exact scikit-learn and joblib versions.
PEER := .venv-peer
$(PEER)/.installed:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet alt-profanity-check==1.9.1
	@touch $@

bench-classifier: $(VENV)/.installed $(PEER)/.installed
	$(BIN)/python scripts/bench_classifier.py

clean:
	rm -rf $(VENV) $(PEER) var staticfiles .pytest_cache .mypy_cache .ruff_cache
