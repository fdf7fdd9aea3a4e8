# Every target sets itself up from a fresh clone: a virtual environment in .venv,
# the package installed editable with its development extras.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# The test suite runs twice: on SQLite, then on PostgreSQL when a server answers on
# PG_HOST:PG_PORT (the database TEST_PG_URL names is dropped and re-created by the tests).
# With CI_REQUIRE_POSTGRES set (.ci/run sets it) a silent server fails the target instead
# of skipping the PostgreSQL pass.
PG_HOST     ?= 127.0.0.1
PG_PORT     ?= 5432
TEST_PG_URL ?= postgres://postgres@$(PG_HOST):$(PG_PORT)/evaluator_test
PYTEST_ARGS ?= -q
# Each pass runs in TEST_WORKERS processes (pytest-xdist; a test file stays in one worker,
# so module-scoped fixtures are built once); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= 2
XDIST        = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
# The consequences, appeals and authorisation tests run a second time with the clock pinned
# to a day in a year the State Council has not scheduled (provisional dates everywhere).
LATER_TODAY ?= 2027-06-15
LATER_TESTS  = tests/services/test_consequences.py tests/services/test_calendars.py \
               tests/services/test_workflow.py tests/server/test_http_consequences.py \
               tests/server/test_http_calendars.py tests/server/test_http_matrix.py \
               tests/server/test_http_auth.py tests/test_demo_consequences.py
PG_ANSWERS   = { if command -v pg_isready >/dev/null 2>&1; then \
                 pg_isready -q -h $(PG_HOST) -p $(PG_PORT); \
               else \
                 $(PY) -c "import socket; socket.create_connection(('$(PG_HOST)', $(PG_PORT)), 2).close()" 2>/dev/null; \
               fi; }

.PHONY: setup run demo test test-sqlite test-postgres migrations openapi docs lint bench bench-api clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Serve the API on http://127.0.0.1:8000 with the demo county and its documented demo
# accounts (local demonstrations only); `evaluator demo` is the offline scoring demo.
run: setup
	$(VENV)/bin/evaluator serve --demo

demo: setup
	$(VENV)/bin/evaluator demo

# Both passes run; the target fails if either fails (or if PostgreSQL is required but silent).
test: setup
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	if $(PG_ANSWERS); then \
	  $(MAKE) --no-print-directory test-postgres || status=1; \
	elif [ -n "$$CI_REQUIRE_POSTGRES" ]; then \
	  echo "PostgreSQL does not answer on $(PG_HOST):$(PG_PORT) and CI_REQUIRE_POSTGRES is set: failing" >&2; \
	  status=1; \
	else \
	  echo "== PostgreSQL pass skipped: nothing answers on $(PG_HOST):$(PG_PORT)"; \
	fi; \
	exit $$status

test-sqlite: setup
	@echo "== SQLite pass"
	env -u TEST_DATABASE_URL -u EVALUATOR_TODAY $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)
	@echo "== SQLite pass, today = $(LATER_TODAY)"
	env -u TEST_DATABASE_URL EVALUATOR_TODAY=$(LATER_TODAY) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS) $(LATER_TESTS)

test-postgres: setup
	@echo "== PostgreSQL pass ($(TEST_PG_URL))"
	env -u EVALUATOR_TODAY TEST_DATABASE_URL='$(TEST_PG_URL)' $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)
	@echo "== PostgreSQL pass, today = $(LATER_TODAY)"
	TEST_DATABASE_URL='$(TEST_PG_URL)' EVALUATOR_TODAY=$(LATER_TODAY) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS) $(LATER_TESTS)

# After changing a model: write the next migration (a test fails while one is missing).
migrations: setup
	$(PY) -m tortoise -c evaluator.store.db.MIGRATIONS_CONFIG makemigrations

# After changing an endpoint or a model: regenerate the committed OpenAPI document
# (tests/server/test_openapi.py fails while it is out of date).
openapi: setup
	$(PY) -m evaluator.server.openapi_dump docs/openapi.json

# After changing a register schema: regenerate docs/registers.md and docs/templates/*.xlsx
# (tests/evidence fail while they are out of date).
docs: setup
	$(PY) -m evaluator.evidence.make_docs

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

# Benchmarks (docs/performance.md is regenerated from their output: benchmarks/run.py)
bench: setup
	$(PY) benchmarks/run.py --all

# The HTTP API under load with wrk (Debian's package), SQLite and PostgreSQL (127.0.0.1:5432)
bench-api: setup
	@command -v wrk >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk \
	  || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	$(PY) benchmarks/run.py --api

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
