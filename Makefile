# Domus: `make run` starts the API on the embedded default; `make test` runs the tests.
# The virtualenv is created from pyproject.toml on first use.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Django 6.1 needs Python >= 3.12: take the first one found (PATH, then pyenv).
PYTHON ?= $(shell for p in python3.13 python3.12 $$(ls -d /root/.pyenv/versions/3.1[23]*/bin/python3 2>/dev/null) $$HOME/.pyenv/versions/3.12*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

LOCK := requirements.lock

.PHONY: venv run test lint check migrate seed worker beat routes lock clean fuzz

# Exact versions from the lock file (reproducible installs), then Domus itself.
$(BIN)/activate: pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "Python >= 3.12 not found (Django 6.1 needs it)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

venv: $(BIN)/activate

migrate: venv
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# The M-Pesa simulator of the embedded default calls back this very server (docs/rentals-and-money.md),
# and the links of account e-mails lead to its /account/ pages.
run: seed
	@echo ""
	@echo "  Domus is starting on http://$(HOST):$(PORT)/"
	@echo "    API docs (Swagger): http://$(HOST):$(PORT)/api/docs/"
	@echo "    API docs (ReDoc):   http://$(HOST):$(PORT)/api/redoc/"
	@echo "    OpenAPI schema:     http://$(HOST):$(PORT)/api/schema/"
	@echo "    Admin:              http://$(HOST):$(PORT)/admin/"
	@echo ""
	FRONTEND_URL=$${FRONTEND_URL:-http://127.0.0.1:$(PORT)} \
	MPESA_CALLBACK_URL=$${MPESA_CALLBACK_URL:-http://127.0.0.1:$(PORT)/api/v1/finance/payments/mpesa/callback/} \
	MPESA_SIMULATOR_URL=$${MPESA_SIMULATOR_URL:-http://127.0.0.1:$(PORT)/api/v1/finance/mpesa-simulator} \
	$(BIN)/uvicorn domus.asgi:application --host $(HOST) --port $(PORT) --lifespan off

test: venv
	@mkdir -p var
	$(BIN)/pytest $(PYTEST_ARGS)

# Schemathesis over every operation on a throwaway server (docs/api.md "The schema is tested by a machine").
fuzz: venv
	$(BIN)/python tests/api_fuzz/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: venv
	DJANGO_SETTINGS_MODULE=domus.test_settings $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=domus.test_settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=domus.test_settings $(BIN)/python manage.py generate_api_routes --check

routes: venv
	$(BIN)/python manage.py generate_api_routes

worker: venv
	@test -n "$$REDIS_URL$$CELERY_BROKER_URL" || { echo "Set REDIS_URL (or CELERY_BROKER_URL): without a broker jobs run in-process."; exit 1; }
	$(BIN)/celery -A domus worker --loglevel=INFO

beat: venv
	@test -n "$$REDIS_URL$$CELERY_BROKER_URL" || { echo "Set REDIS_URL (or CELERY_BROKER_URL): without a broker jobs run in-process."; exit 1; }
	$(BIN)/celery -A domus beat --loglevel=INFO

# Re-resolve requirements.lock after changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra prod --universal --python-version 3.12 --no-header --quiet -o $(LOCK)

clean:
	rm -rf var/test.sqlite3 var/test-media

# Benchmarks (bench/README.md): `make bench`, or one of them at one size,
# `make bench BENCH=listings SIZE=100000`; `SIZE=ci` is the smallest size of each.
# Installs the `prod` extra (Granian) and the `dev` extra (DRF, for bench/peers) when
# missing; bench/bench.py does the rest.
BENCH ?= all
SIZE ?=
.PHONY: bench
bench: venv
	@$(BIN)/python -c 'import granian' 2>/dev/null || $(BIN)/pip install --quiet -e ".[prod]"
	@$(BIN)/python -c 'import rest_framework' 2>/dev/null || $(BIN)/pip install --quiet -e ".[dev]"
	PYTHONPATH=$(CURDIR) $(BIN)/python bench/bench.py --bench $(BENCH) $(if $(SIZE),--size $(SIZE))
