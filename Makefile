# Every target creates the virtualenv on first use, so a fresh clone needs only `make run`
# (or `make test`). Java 17 must be installed; everything else is installed here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup run stop dev test lint bench bench-quick clean

setup: $(STAMP)

# pip -qq shows errors only: not its notices, nor the build backend's about editable installs.
$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "Java 17 is required (PySpark): install it and retry"; exit 1; }
	@echo "installing into $(VENV) (first run only, a few minutes)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# `lakehouse run` prepares what a fresh clone lacks (sample landing, local services, seeded
# sources, $(DAGSTER_HOME) with its dagster.yaml) and leaves the services up for what follows.
run: $(STAMP)
	@$(BIN)/lakehouse run
	@echo
	@echo "next:"
	@echo "  make dev                         the same assets in the Dagster UI (http://127.0.0.1:3000)"
	@echo "  $(BIN)/lakehouse catalog search \"risco cambial\""
	@echo "  $(BIN)/lakehouse warehouse query \"SELECT * FROM bix_gold.vendas_mensais_por_categoria LIMIT 5\""
	@echo "  $(BIN)/lakehouse run --domain bix --verbose   one domain again, with Dagster's event log"
	@echo "  make stop                        stop the local services"

stop:
	@$(BIN)/lakehouse local-services --stop

dev: $(STAMP)
	@$(BIN)/python -m lakehouse_assets.dagster_home
	@PYTHONWARNINGS='ignore:Function `dev_command` is superseded' $(BIN)/dagster dev -w workspace.yaml

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
