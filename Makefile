# Every target creates the virtualenv on first use, so a fresh clone needs only `make run`
# (or `make test`). Java 17 must be installed; everything else is installed here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup run stop dev test lint bench bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "Java 17 is required (PySpark): install it and retry"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/lakehouse local-services --background
	$(BIN)/lakehouse run
	$(BIN)/lakehouse catalog export

stop:
	$(BIN)/lakehouse local-services --stop

dev: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The full benchmark (all sections, 10k/1M/10M items; see docs/BENCHMARKING.md for the time
# budget) rewrites docs/BENCHMARKS.md; bench-quick proves the harness in a few minutes.
bench: $(STAMP)
	$(BIN)/lakehouse bench

bench-quick: $(STAMP)
	$(BIN)/lakehouse bench --scales 10k --runs 1 --history 3,6 --incremental-scale 10k \
		--catalog-tables 100 --out .bench/BENCHMARKS-quick.md

clean:
	-$(BIN)/lakehouse local-services --stop
	-$(BIN)/lakehouse local-aws --stop
	rm -rf .lakehouse .dagster_home
