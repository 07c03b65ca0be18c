# Safer Corridors: the two commands.
#   make plan   set up the environment and plan the embedded default area (data/rutland.toml)
#   make test   set up the environment (and Chromium for the browser tests), run the checks
#               (ruff, the format check, mypy --strict, the import layers) and every test
# Needs Python 3.11+ and the package registries (PyPI; Debian's for Chromium); nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= data/rutland.toml

.PHONY: plan test check browser bench bench-scale screenshots clean

plan: $(STAMP)
	$(BIN)/corridors --config $(CONFIG) plan

test: check browser
	$(BIN)/python -m pytest

# The house rules tools can check (tests/test_house.py checks the rest: sizes, complexity,
# file I/O only at the edges). Config for each is in pyproject.toml.
check: $(STAMP)
	$(BIN)/ruff check corridors tests benchmarks scripts
	$(BIN)/ruff format --check corridors tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# Chromium for the browser tests: installed with apt when we are root, else the tests skip
# (under CI=true a missing browser fails them).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and not root: browser tests will be skipped"; fi; }

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

# The scale benchmark at its default sizes (a quarter, half and whole borough: a few minutes);
# the big cities are `benchmarks/bench_scale.py --case city300` / `--case city1500` (8-24 GB).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

screenshots: $(STAMP) browser
	$(BIN)/corridors --config $(CONFIG) screenshots --out docs

clean:
	rm -rf $(VENV) .cache maps .pytest_cache
