# casework: the two commands of the quick start are `make run` and `make test`.
# Both create .venv on first use; nothing needs to be installed by hand.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint pytest bench bench-load clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casework needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

## Serve on SQLite (var/casework.db) with demo data and demo users.
run: install
	$(BIN)/casework migrate
	$(BIN)/casework demo
	$(BIN)/casework serve --host $(HOST) --port $(PORT)

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

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
