# Every target does its own set-up: a fresh clone needs only `make bench` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install

.PHONY: help install test test-fast bench bench-quick capacity perf lint format lock browser postgres clean

help:
	@echo "make bench   run the default benchmark suite and render the report"
	@echo "make capacity  capacity at a p99 SLO (open loop) for the core six, and its report"
	@echo "make test    run the whole test suite"
	@echo "make test-fast  the suite without the slow end-to-end runs and the live performance claims"
	@echo "make perf    benchmark fake_llm against a raw-ASGI ceiling"
	@echo "make lint    ruff check + format check + mypy (strict)"

# Re-install when the dependency list or the lock changes; idempotent otherwise.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the report's browser check (Debian package; root installs it, others skip).
browser:
	@scripts/ensure-chromium.sh

# PostgreSQL for the database scenarios (Debian package; root installs it, others skip those scenarios).
postgres:
	@scripts/ensure-postgres.sh

# Two workers (pytest-xdist; a scenario's fleet stays on one worker: tests/scenarios/conftest.py), then the
# live performance claims (`perf`) alone, so each has the machine's cores to itself. README: "Set-up".
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadgroup
test: $(STAMP) browser postgres
	$(BIN)/python -m pytest $(XDIST) -m "not perf"
	$(BIN)/python -m pytest -m perf

test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not perf"

bench: $(STAMP) postgres
	$(BIN)/awaitbench run --out results/latest
	$(BIN)/awaitbench report results/latest --out results/latest/report

bench-quick: $(STAMP) postgres
	$(BIN)/awaitbench run --quick --out results/quick

# Open loop: each core scenario's pitfall and fix, the highest offered rate within the p99 SLO (at most
# 5 points each, 3 s windows; docs/bench.md gives the time it takes). 1000 ms by default: the slowest fix
# (serial_awaits' gather of 500 ms calls) can meet it; `make capacity SLO_P99_MS=500` for a tighter one.
SLO_P99_MS ?= 1000
capacity: $(STAMP)
	$(BIN)/awaitbench run --quick --duration 3 --find-capacity --slo-p99-ms $(SLO_P99_MS) --out results/capacity
	$(BIN)/awaitbench report results/capacity --out results/capacity/report

perf: $(STAMP)
	$(BIN)/awaitbench perf fake-llm

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the lock after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^awaitbench' > constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
