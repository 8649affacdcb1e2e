# pgwarden: every target delegates to scripts/install.sh or the `pgwarden` CLI.
VENV := .venv
PGWARDEN := $(VENV)/bin/pgwarden
PYTEST := $(VENV)/bin/pytest

.PHONY: install install-test run up down status migrate test test-sql test-py lint bench demo

install:  ## what the stack runs on: Debian packages, the venv's runtime dependencies, PostgREST
	@scripts/install.sh

install-test:  ## that, plus the test tools (pytest, ruff, sqlfluff, pgTAP ...)
	@scripts/install.sh --test

run: install  ## start the whole stack in the foreground; Ctrl-C stops it
	@$(PGWARDEN) stack run

up: install  ## start the stack in the background under a supervisor; returns once it answers
	@$(PGWARDEN) stack up

down:  ## stop what this data dir's supervisor runs, then the supervisor
	@if [ -x $(PGWARDEN) ]; then $(PGWARDEN) stack down; fi

status: install
	@$(PGWARDEN) status

migrate: install  ## apply pending migrations and re-apply the code layer
	@$(PGWARDEN) db apply

test: install-test  ## SQL (pgTAP) and Python tests on a throwaway cluster
	@$(PYTEST) -q tests

demo: install  ## demo organizations, errors, monitors, reports, alerts and a backfilled week in the running stack
	@$(PGWARDEN) demo

lint: install-test
	@$(VENV)/bin/ruff check workers tests bench
	@$(VENV)/bin/sqlfluff lint --dialect postgres db  # all of db/

bench: install-test
	@for b in $(filter-out bench/soak.py,$(wildcard bench/*.py)); do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
