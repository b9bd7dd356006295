# Koers: two commands do everything on a fresh machine.
#   make demo   creates .venv, installs Koers, builds the demo company, shows its headline KPIs and serves the web cockpit
#   make test   installs what the tests need (system packages too) and runs the whole suite
#   make bench  builds (and caches) the large demo and measures import, compute and memory; and the web pages' server time

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check -q
SIZE   ?= small
DEMO_WS ?= demo.duckdb
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test bench lint docs venv install install-test system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(BIN)/python

install: venv
	$(PIP) install -e .

install-test: venv
	$(PIP) install -e ".[test,spark,postgres]"

# Spark needs a Java runtime; Debian's headless JRE when there is none.
# The browser tests drive Debian's chromium (never a browser Playwright downloads).
# The PostgreSQL tests start a throwaway server from Debian's postgresql programs.
system-packages:
	@if ! command -v java >/dev/null 2>&1; then \
		echo "installing a Java runtime for PySpark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL for the tests on PostgreSQL workspaces"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

demo: install
	rm -f $(DEMO_WS)
	$(BIN)/koers demo --size $(SIZE) --workspace $(DEMO_WS)
	$(BIN)/koers kpi won_value win_rate open_pipeline_value lead_response_time revenue churn_rate \
		--workspace $(DEMO_WS) --lang nl
	@echo "Koers cockpit: http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/koers serve --workspace $(DEMO_WS) --host $(HOST) --port $(PORT)

# Two workers (the machine's two cores): the tests that share a Spark session,
# a PostgreSQL server or the browser each run on one of them (tests/conftest.py).
TEST_WORKERS ?= 2

test: system-packages install-test
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

docs: install
	$(BIN)/python -m koers.docs > docs/kpis.md

bench: install-test
	$(BIN)/python bench/bench.py $(BENCH_ARGS)
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .bench
