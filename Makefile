# casework: the two commands of the quick start are `make run` and `make test`.
# Both create .venv on first use; nothing needs to be installed by hand.

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
HOST     ?= 127.0.0.1
PORT     ?= 8000
# `make run` keeps its database and development keys in the checkout, on purpose.
# The casework command elsewhere uses CASEWORK_DATA_DIR, or a per-user folder
# ($XDG_DATA_HOME/casework, usually ~/.local/share/casework).
DATA_DIR ?= var

.PHONY: install install-runtime run test lint pytest bench bench-load clean clean-data

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casework needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

# Serving needs the runtime only; re-installed whenever pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

# Tests, linters and benchmarks need the dev extra too.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.installed

install-runtime: $(VENV)/.runtime

## Serve on SQLite ($(DATA_DIR)/casework.db) with demo data and demo users.
run: install-runtime
	@CASEWORK_DATA_DIR=$(DATA_DIR) $(BIN)/casework migrate
	@CASEWORK_DATA_DIR=$(DATA_DIR) $(BIN)/casework demo
	@CASEWORK_DATA_DIR=$(DATA_DIR) $(BIN)/casework serve --host $(HOST) --port $(PORT)

## The whole suite: lint, type check, tests (SQLite; PostgreSQL too when
## CASEWORK_TEST_POSTGRES_URL is set, as .ci/run does).
test: install lint pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/incident_throughput.py

bench-load: install
	$(BIN)/python bench/load.py --seconds 60

## Caches and the virtualenv only: the data stays.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

## The database and its encryption keys: asks first (or CONFIRM=yes).
clean-data:
	@if [ "$(CONFIRM)" != yes ]; then \
	    printf 'Delete %s/: the database and the encryption keys without which it cannot be read? Type yes: ' '$(DATA_DIR)'; \
	    read answer || answer=; \
	    if [ "$$answer" != yes ]; then echo; echo 'nothing deleted'; exit 1; fi; \
	fi
	rm -rf '$(DATA_DIR)'
