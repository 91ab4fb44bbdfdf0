# One-command set-up: `make serve` and `make test` create .venv, install, and build the default
# database when it is missing. Set-up output goes to stderr so `make -s serve` keeps stdout for MCP.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= db/movies.db
export MOVIE_MCP_DB ?= $(abspath $(DB))
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: setup db serve serve-http test test-fast e2e lint format clean bench bench-full eval

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 1>&2
	@$(BIN)/python -m pip install --quiet --upgrade pip 1>&2
	@# torch first and pinned: pip takes this machine's local CPU wheel instead of a multi-GB CUDA build.
	@$(BIN)/python -m pip install --quiet torch==2.13.0 1>&2
	@$(BIN)/python -m pip install --quiet -e '.[dev]' 1>&2
	@touch $(STAMP)

setup: $(STAMP)

db: $(STAMP)
	@$(BIN)/movie-mcp build --if-missing 1>&2

serve: db
	@exec $(BIN)/movie-mcp serve

serve-http: db
	@exec $(BIN)/movie-mcp serve --transport streamable-http

test: db
	@$(BIN)/python -m pytest

test-fast: $(STAMP)
	@$(BIN)/python -m pytest -m "not slow"

# The real server driven by the MCP Inspector CLI (npx) over stdio and Streamable HTTP; needs Node.js.
e2e: db
	@bash scripts/e2e.sh

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache

bench: db
	@$(BIN)/python -m benchmarks.run
	@$(BIN)/python -m benchmarks.llm_enrichment
	@$(BIN)/python -m benchmarks.load_http

# Issue 13's full-size benchmark: an ml-32m-shaped synthetic set (one third by default; FRACTION=0.03 for a quick
# look) built and served beside the default data; ~40 minutes, data in a temporary folder.
bench-full: db
	@$(BIN)/python -m benchmarks.full_size $(if $(FRACTION),--fraction $(FRACTION),)

# Measured quality on the built database (tables on stdout, JSON in eval-results/eval.json); a few minutes.
eval: db
	@$(BIN)/movie-mcp eval
