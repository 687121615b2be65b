# The register's commands. The README, CI (.ci/run) and developers all use these same targets.
# A fresh machine needs only Python 3.11+, Java 17+ and Maven: every target sets up what it needs.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SPR := $(BIN)/spr
DEMO_DIR ?= data/demo
DEMO_SEED ?= 7
DEMO_USER ?= demo
DEMO_PASSWORD ?= demo-caseworker-pass
DEMO_PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help venv neo4j neo4j-stop demo test browsers lint format typecheck bench soak clean

help:
	@echo "make demo       set everything up, load the demo data and run the register"
	@echo "make test       set everything up and run the whole test suite against a real Neo4j"
	@echo "make browsers   install Debian's chromium for the browser tests (when missing)"
	@echo "make neo4j      install (from Maven Central) and start the local Neo4j, apply the schema"
	@echo "make lint | format | typecheck | bench"
	@echo "make soak       50 API clients while a batch loads and Neo4j is killed: verdict in docs/reliability.md"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

neo4j: venv
	$(SPR) neo4j install
	$(SPR) neo4j start
	$(SPR) schema apply

neo4j-stop: venv
	$(SPR) neo4j stop

# The demo resolves identities with the probabilistic stage (Splink) as it loads, about a minute of the
# load at demo scale (docs/identity-resolution.md); `spr review` then shows the pairs left to an analyst.
demo: neo4j
	$(SPR) generate --scale demo --seed $(DEMO_SEED) --out $(DEMO_DIR)
	$(SPR) ingest $(DEMO_DIR) --rejects $(DEMO_DIR)/rejects.ndjson --identity model
	$(SPR) review
	$(SPR) detect
	$(SPR) nominations
	@echo "A later batch arrives: known perpetrators turn up again (alerts, then flags, for the people it touched)"
	$(SPR) generate --later-than $(DEMO_DIR) --out $(DEMO_DIR)-later --seed $(DEMO_SEED)
	$(SPR) ingest $(DEMO_DIR)-later --rejects $(DEMO_DIR)-later/rejects.ndjson --identity model
	$(SPR) alerts list --limit 20
	SPR_NEW_USER_PASSWORD=$(DEMO_PASSWORD) $(SPR) users create $(DEMO_USER) --role SPP_CASEWORKER --role POLICE_ANALYST
	@echo "The register is at http://127.0.0.1:$(DEMO_PORT)/ : log in as $(DEMO_USER) / $(DEMO_PASSWORD) (demo only)"
	SPR_DEMO=1 $(SPR) serve --port $(DEMO_PORT)

# The browser tests drive Debian's Chromium (Playwright with its executable path; no browser download).
browsers:
	@if [ ! -x /usr/bin/chromium ]; then apt-get update && apt-get install -y chromium; fi

test: venv browsers
	$(SPR) neo4j install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv
	$(BIN)/mypy

bench: venv
	$(SPR) neo4j install
	$(BIN)/python -m bench.run_all

soak: venv
	$(SPR) neo4j install
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
