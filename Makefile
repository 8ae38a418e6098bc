# Handoff: the two commands a newcomer needs are `make demo` and `make test` (see README.md).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Touched after a successful install; pyproject.toml or constraints.txt being newer means
# "install again". constraints.txt pins every package (README: Reproducible installs).
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint run bench bench-routing constraints

help:
	@echo "make demo     play a whole warm handoff locally (no Slack workspace needed)"
	@echo "make test     run the test suite (SQLite, and PostgreSQL at 127.0.0.1:5432 if running)"
	@echo "make lint     ruff, the import contracts (lint-imports) and mypy on bot/domain, bot/flows and db"
	@echo "make run      serve the bot over HTTP on port 3000 (needs SLACK_* or TEAMS_* settings, see .env.example)"
	@echo "make bench    run the benchmarks, write docs/benchmarks.md (ARGS=--quick, ARGS='--only S1,S5')"
	@echo "make bench-routing  the router on CLINC150 next to TF-IDF+LR (docs/routing-benchmark.json)"
	@echo "make install  create $(VENV) and install the package with its dev tools"
	@echo "make constraints  re-pin constraints.txt from the working $(VENV) (then make test)"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@if [ ! -x $(BIN)/python ]; then \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
			|| { echo "Handoff needs Python 3.11 or newer; set PYTHON=python3.11 or newer" >&2; exit 1; }; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/handoff demo

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

run: install
	$(BIN)/handoff serve

# Every scenario on SQLite and PostgreSQL, then the routing one (about 12 minutes on 2 quiet cores, README:
# Benchmarks); see docs/benchmarks.md.
# A full run (no ARGS) ends with the routing evaluation, so `make bench` prints every table.
bench: install
	$(BIN)/python -m benchmarks.run $(ARGS)
	@if [ -z "$(ARGS)" ]; then $(MAKE) --no-print-directory bench-routing ARGS=; fi

# Exact versions from a venv that passes the tests; see README, Reproducible installs.
constraints: install
	@{ echo "# Written by make constraints from a working .venv: the exact versions that make install,"; \
	   echo "# CI (.ci/run runs make install) and the Dockerfile use. Refresh after changing"; \
	   echo "# pyproject.toml: pip install the change into .venv, make constraints, make test."; \
	   $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

# The router on public data (../shared/datasets/clinc150), a few minutes; see
# benchmarks/routing/README.md. scikit-learn (the anchor, and the router's model) is a runtime dependency.
bench-routing: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.routing $(ARGS)
