# cxex — `make help` lists the targets. Everything runs inside .venv, made on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install browser postgres demo test test-all test-fast fuzz lab bench bench-small lint clean

help: ## list the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## make .venv and install cxex with its test tools

demo: $(STAMP) ## generate the demo organisation, ingest it, run every notebook, write HTML reports
	$(BIN)/cxex demo

AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js

browser: $(AXE) ## install Debian's Chromium and axe-core (npm) for the browser test (skipped when present; needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing chromium (Debian package) for the browser test ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing npm (Debian package) for axe-core ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/npm axe-core@4.11.0

postgres: ## install Debian's PostgreSQL server for the warehouse tests (skipped when present; needs root or sudo)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing postgresql (Debian package) for the warehouse tests ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

PYTEST := CXEX_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15

test: $(STAMP) browser postgres ## every test but the extended tier, two test files at a time (under 15 minutes on 2 cores; installs Chromium and PostgreSQL for the tests that need them)
	$(PYTEST) -m "not extended"

test-all: $(STAMP) browser postgres ## every test, the extended tier included (the full calibration grid, 12 drawn organisations run whole); CI runs this
	$(PYTEST)

test-fast: $(STAMP) ## the tests that start no kernel and simulate no calibration grid (a minute or two)
	$(BIN)/python -m pytest -m "not e2e and not calibration and not extended"

WORLDS ?= 200
fuzz: $(STAMP) ## run the whole suite on WORLDS (default 200) freshly drawn organisations and as many drawn shapes of the demo's tables; a failing one prints its WorldSpec
	CXEX_FUZZ=1 CXEX_WORLDS=$(WORLDS) $(BIN)/python -m pytest -x -p no:cacheprovider \
	  tests/test_worlds.py tests/test_robustness.py -k "any_organisation or run_plan_never_schedules"

lab: $(STAMP) ## open JupyterLab on notebooks/ with the project's kernel registered
	$(BIN)/python -m ipykernel install --sys-prefix --name cxex --display-name "Python (cxex)"
	$(BIN)/jupyter lab --notebook-dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

bench: $(STAMP) ## print the benchmark figures, the enterprise run last (about 40 minutes on 2 cores)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/linkage.py
	$(BIN)/python benchmarks/rox.py
	$(BIN)/python benchmarks/text.py $(if $(AIRLINE),--airline $(AIRLINE))
	$(BIN)/python benchmarks/calibration.py
	$(BIN)/python benchmarks/pilots.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/pdf.py
	$(BIN)/python benchmarks/enterprise.py

bench-small: $(STAMP) ## the enterprise benchmark at 2% size (100 units; CI runs it as a test)
	$(BIN)/python benchmarks/enterprise.py --scale 0.02 --unit-reports 20

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check cxex_analysis tests benchmarks notebooks
	$(BIN)/mypy

clean: ## remove generated data, reports and the virtualenv
	rm -rf $(VENV) data/demo data/*.duckdb data/*.wal reports/2* reports/latest reports/.*.partial
