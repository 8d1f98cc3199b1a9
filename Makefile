# Finegrain task runner: one command per job, the same locally and in CI (STYLE rule 44).
#
#   make run     venv, deps, migrations, static files, demo project; web + worker + beat
#   make test    lint + schema check + the whole pytest suite (what CI runs)
#
# Everything runs through .venv/bin/..., so nothing depends on an activated virtualenv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST := $(PY) -m pytest
RUFF := $(VENV)/bin/ruff
MYPY := $(VENV)/bin/mypy
# `make run` reads .env when there is one (cp .env.example .env); the shell's variables win.
DOTENV := scripts/with-dotenv
# Written after a successful install; older than pyproject.toml means "install again".
INSTALL_STAMP := $(VENV)/.finegrain-installed

# `make test-pg` / the second CI run: the same suite on PostgreSQL + Redis.
PG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/finegrain
PG_BROKER_URL ?= redis://127.0.0.1:6379/15

# The React app, once frontend/package.json exists. Stamps live in node_modules so that they
# are neither committed nor collected as static files.
ifneq ($(wildcard frontend/package.json),)
FRONTEND_DEPS := frontend/node_modules/.finegrain-installed
FRONTEND_BUILD := frontend/node_modules/.finegrain-built
FRONTEND_SOURCES := $(wildcard frontend/index.html frontend/*.config.ts frontend/*.config.js \
	frontend/tsconfig*.json) $(shell find frontend/src frontend/public -type f 2>/dev/null)
endif
NPM_INSTALL := $(if $(wildcard frontend/package-lock.json),npm ci,npm install) --no-audit --no-fund

.PHONY: help install run test lint format schema schema-check test-pg bench check frontend \
	frontend-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

# The embedded default trains and scores on CPU in its one worker, and the suite has CPU
# training tests, so the venv gets the train extra too (torch: a CPU wheel from /opt/wheels
# or PyPI). `make install EXTRAS=dev` leaves it out.
EXTRAS ?= dev,train

$(INSTALL_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $@

install: $(INSTALL_STAMP) ## create .venv and install '.[dev,train]' when pyproject.toml changed

frontend: $(FRONTEND_BUILD) ## build the React app (no-op until frontend/package.json exists)

ifdef FRONTEND_DEPS
$(FRONTEND_DEPS): frontend/package.json $(wildcard frontend/package-lock.json)
	cd frontend && $(NPM_INSTALL)
	touch $@

$(FRONTEND_BUILD): $(FRONTEND_DEPS) $(FRONTEND_SOURCES)
	cd frontend && npm run build
	touch $@
endif

frontend-test: $(FRONTEND_DEPS) ## eslint, tsc and vitest of the React app
ifdef FRONTEND_DEPS
	cd frontend && npm run --if-present lint && npm run --if-present typecheck \
		&& npm run --if-present test
else
	@echo "no frontend yet (frontend/package.json)"
endif

run: install frontend ## migrate, static files, demo project; then web + worker + beat (reads .env)
	$(DOTENV) $(MANAGE) migrate --noinput
	$(DOTENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(DOTENV) $(MANAGE) seed_demo
	exec $(DOTENV) $(PY) scripts/launch.py

# Lint, schema check, front-end checks and pytest all run even when an earlier one fails, so
# that one run shows every problem; the target fails if any of them failed.
test: install ## lint + schema check + front-end checks + the whole pytest suite (what CI runs)
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory schema-check || failed="$$failed schema-check"; \
	$(MAKE) --no-print-directory frontend-test || failed="$$failed frontend-test"; \
	$(PYTEST) $(PYTEST_ARGS) || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: lint, schema-check, frontend-test and pytest passed"

lint: install ## ruff check + ruff format --check + mypy (config in pyproject.toml)
	$(RUFF) check .
	$(RUFF) format --check .
	$(MYPY)

format: install ## apply ruff's fixes and formatting
	$(RUFF) check --fix .
	$(RUFF) format .

schema: install $(FRONTEND_DEPS) ## regenerate schema.yaml and the front end's schema.d.ts
	$(MANAGE) spectacular --file schema.yaml --validate --fail-on-warn
ifdef FRONTEND_DEPS
	cd frontend && npm run --if-present gen:api
endif

schema-check: install ## fail if the committed schema.yaml is stale
	@tmp=$$(mktemp --suffix=.yaml); trap 'rm -f "$$tmp"' EXIT; \
	$(MANAGE) spectacular --file "$$tmp" --validate --fail-on-warn; \
	if [ ! -f schema.yaml ]; then \
		echo "schema.yaml is missing: run 'make schema' and commit it"; exit 1; \
	fi; \
	if ! diff -u schema.yaml "$$tmp" > "$$tmp.diff"; then \
		head -n 60 "$$tmp.diff"; rm -f "$$tmp.diff"; \
		echo "schema.yaml is stale: run 'make schema' and commit it"; exit 1; \
	fi; \
	rm -f "$$tmp.diff"; echo "schema.yaml is up to date"

test-pg: install ## the pytest suite on PostgreSQL + Redis (PG_DATABASE_URL, PG_BROKER_URL)
	DATABASE_URL=$(PG_DATABASE_URL) CELERY_BROKER_URL=$(PG_BROKER_URL) $(PYTEST) $(PYTEST_ARGS)

check: test test-pg ## everything CI runs (needs PostgreSQL and Redis for test-pg)

# `make bench` runs every script in benchmarks/ with its defaults (numbers, not pass/fail);
# `make bench BENCH=export BENCH_ARGS='--items 20000'` runs one with arguments.
BENCH ?= $(filter-out __init__,$(basename $(notdir $(wildcard benchmarks/*.py))))
bench: install ## run benchmarks/*.py (BENCH=name BENCH_ARGS='...' for one)
	@if [ -z "$(strip $(BENCH))" ]; then echo "no benchmarks yet (benchmarks/*.py)"; fi
	@for name in $(BENCH); do \
		echo "== benchmarks/$$name.py $(BENCH_ARGS)"; \
		$(PY) benchmarks/$$name.py $(BENCH_ARGS); \
	done
