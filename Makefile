# The two set-up commands: `make up` starts the whole system, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test-deps up down test lint test-unit bench translations-extract clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

shared/translations/%/LC_MESSAGES/messages.mo: shared/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/python -m services compile-translations

translations: shared/translations/zh/LC_MESSAGES/messages.mo shared/translations/en/LC_MESSAGES/messages.mo

up: install translations
	$(BIN)/python -m services up

down:
	$(BIN)/python -m services down

# Chromium and a CJK font for the browser tests, nginx to check the proxy's configuration (apt-get, as
# root, only when missing).
test-deps:
	@scripts/test-deps

test: install translations test-deps lint
	$(BIN)/python -m pytest

# The habits that keep the code alike: ruff (lint and format) on everything, mypy strict on shared/.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-unit: install translations
	$(BIN)/python -m pytest tests/unit

# The standard set, figures appended to bench/RESULTS.md (about 20 minutes; nothing else should run).
bench: install translations
	$(BIN)/python bench/load.py --limit --requests 3000 --concurrency 16 --write
	$(BIN)/python bench/load.py --intake-only --rate 300 --seconds 10 --write
	$(BIN)/python bench/load.py --sustained 100 --seconds 30 --write
	$(BIN)/python bench/load.py --sustained 200 --seconds 30 --write
	$(BIN)/python bench/load.py --sustained 300 --seconds 30 --write
	$(BIN)/python bench/recovery.py --backlog 50000 --write

# After changing user-facing text: refresh the template and both catalogues, then translate.
translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext -k translate:2 -k both \
		--sort-output --no-location -o shared/translations/messages.pot shared services
	$(BIN)/pybabel update -i shared/translations/messages.pot -d shared/translations --no-fuzzy-matching

clean: down
	rm -rf var
